/** `interlock incidents list|show`: the incidents of a running API (GET /incidents, GET /incidents/{id}). */
import { Command, Option } from 'commander';
import { SEVERITIES } from '../alerts/alert';
import { ApiClient } from './api-client';
import { incidentDetailSchema, incidentListSchema } from './api-schemas';
import { EXIT } from './cli-error';
import { act, remoteOptions, type RemoteCommandOptions } from './command-kit';
import { printable, shortTime, table, writeJson, writeLine } from './output';

interface ListOptions extends RemoteCommandOptions {
  status?: string;
  severity?: string;
  zone?: string;
  source?: string;
  unhandled?: boolean;
  caseStatus?: string;
  assignee?: string;
  from?: string;
  to?: string;
  limit?: string;
  offset?: string;
}

async function list(options: ListOptions): Promise<number> {
  const query = new URLSearchParams();
  const params: [string, string | undefined][] = [
    ['status', options.status],
    ['severity', options.severity],
    ['zone', options.zone],
    ['source', options.source],
    ['unhandled', options.unhandled === undefined ? undefined : String(options.unhandled)],
    ['caseStatus', options.caseStatus],
    ['assignee', options.assignee],
    ['from', options.from],
    ['to', options.to],
    ['limit', options.limit],
    ['offset', options.offset],
  ];
  for (const [name, value] of params) if (value !== undefined) query.set(name, value);
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  const page = await (await ApiClient.from(options)).json('GET', `/incidents${suffix}`, incidentListSchema);
  if (options.json) {
    writeJson(page);
    return EXIT.ok;
  }
  if (page.incidents.length === 0) {
    writeLine(`no incident (of ${page.total})`);
    return EXIT.ok;
  }
  const rows = page.incidents.map((i) => [
    i.incidentId,
    i.status,
    i.severity ?? '-',
    shortTime(i.openedAt),
    i.zones.join(',') || '-',
    i.caseStatus,
    `${i.unhandled ? '[unhandled] ' : ''}${i.title ?? '-'}`,
  ]);
  for (const line of table(['ID', 'STATUS', 'SEVERITY', 'OPENED', 'ZONES', 'CASE', 'TITLE'], rows)) writeLine(line);
  const last = page.offset + page.incidents.length;
  writeLine(
    `${page.offset + 1}-${last} of ${page.total}` +
      (page.nextOffset === undefined ? '' : ` (next: --offset ${page.nextOffset})`),
  );
  return EXIT.ok;
}

async function show(incidentId: string, options: RemoteCommandOptions): Promise<number> {
  const detail = await (
    await ApiClient.from(options)
  ).json('GET', `/incidents/${encodeURIComponent(incidentId)}`, incidentDetailSchema);
  if (options.json) {
    writeJson(detail);
    return EXIT.ok;
  }
  const s = detail.summary;
  const lines: [string, string][] = [
    ['incident', detail.incidentId],
    ['title', s?.title ?? detail.alerts[0]?.trigger?.title ?? '-'],
    ['status', `${s?.status ?? '-'} (workflow ${detail.status ?? 'unknown to Temporal'})`],
    ['severity', s?.severity ?? '-'],
    ['opened', `${shortTime(s?.openedAt)}${s?.closedAt ? `, closed ${shortTime(s.closedAt)}` : ''}`],
    ['zones', s?.zones.join(', ') || '-'],
    ['sources', s?.sources.join(', ') || '-'],
    ['case', `${detail.case.status}, assignee ${detail.case.assignee ?? '-'}`],
    ['alerts', String(detail.alerts.length)],
  ];
  for (const line of table(['', ''], lines).slice(1)) writeLine(line);
  if (detail.runs.length > 0) {
    writeLine('\nplaybook runs');
    for (const line of table(
      ['PLAYBOOK', 'STATUS', 'STARTED'],
      detail.runs.map((r) => [r.playbookId, r.status, shortTime(r.startedAt)]),
    ))
      writeLine(`  ${line}`);
  }
  if (detail.pendingApprovals.length > 0) {
    writeLine('\npending approvals');
    for (const line of table(
      ['APPROVAL', 'STEP', 'VOTES', 'EXPIRES', 'ACTION'],
      detail.pendingApprovals.map((a) => [
        a.id,
        a.stepId,
        `${a.decisions.filter((d) => d.decision === 'approve').length}/${a.requiredApprovals}`,
        shortTime(a.expiresAt),
        a.description?.text ?? '-',
      ]),
    ))
      writeLine(`  ${line}`);
  }
  if (detail.actions.length > 0) {
    writeLine('\nactions');
    for (const line of table(
      ['TIME', 'EVENT', 'STEP', 'ACTION', 'TARGET', 'RESULT'],
      detail.actions.map((a) => [
        shortTime(a.time),
        a.eventType,
        a.stepId ?? '-',
        a.action?.type ?? '-',
        a.target?.ref ?? '-',
        a.result === undefined ? '-' : `${a.result.status}${a.result.detail ? `: ${a.result.detail}` : ''}`,
      ]),
    ))
      writeLine(`  ${line}`);
  }
  writeLine(`\ntimeline ${printable(detail.links.timeline)}`);
  return EXIT.ok;
}

export function incidentsCommand(): Command {
  const incidents = new Command('incidents').description('incidents of a running API');
  remoteOptions(
    incidents
      .command('list')
      .description('incidents, newest first (GET /incidents)')
      .addOption(new Option('--status <status>', 'open or closed').choices(['open', 'closed']))
      .addOption(new Option('--severity <severity>', 'highest alert severity').choices(SEVERITIES))
      .option('--zone <zone>', 'a zone of the targets')
      .option('--source <source>', 'a webhook source')
      .option('--unhandled', 'only incidents an OT alert left unhandled')
      .option('--case-status <status>', 'the case status people set')
      .option('--assignee <operatorId>', 'the operator the case is assigned to')
      .option('--from <time>', 'opened at or after (RFC 3339 with offset)')
      .option('--to <time>', 'opened before (RFC 3339 with offset)')
      .option('--limit <n>', 'page size, 1-500 (default 50)')
      .option('--offset <n>', 'skip this many'),
  ).action(act(list));
  remoteOptions(
    incidents
      .command('show')
      .description('one incident: status, runs, pending approvals, actions (GET /incidents/{id})')
      .argument('<incidentId>'),
  ).action(act(show));
  return incidents;
}
