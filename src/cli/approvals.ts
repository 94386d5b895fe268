/**
 * `interlock approvals list|decide`: approval requests of a running API (GET /approvals,
 * POST /approvals/{id}/decision). The API's validator decides; a refusal is shown with its code.
 */
import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import { APPROVAL_STATUSES } from '../approvals/approval-store';
import { ApiClient } from './api-client';
import { approvalListSchema, decisionAnswerSchema } from './api-schemas';
import { CliError, EXIT } from './cli-error';
import { act, remoteOptions, type RemoteCommandOptions } from './command-kit';
import { shortTime, table, writeJson, writeLine } from './output';

interface ListOptions extends RemoteCommandOptions {
  status?: string;
  all?: boolean;
  incident?: string;
  limit?: string;
  cursor?: string;
}

async function list(options: ListOptions): Promise<number> {
  const query = new URLSearchParams();
  const status = options.all ? undefined : (options.status ?? 'pending');
  if (status !== undefined) query.set('status', status);
  if (options.incident !== undefined) query.set('incidentId', options.incident);
  if (options.limit !== undefined) query.set('limit', options.limit);
  if (options.cursor !== undefined) query.set('cursor', options.cursor);
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  const page = await (await ApiClient.from(options)).json('GET', `/approvals${suffix}`, approvalListSchema);
  if (options.json) {
    writeJson(page);
    return EXIT.ok;
  }
  if (page.approvals.length === 0) {
    writeLine(`no ${status ?? ''} approval request`.replace(/\s+/g, ' '));
    return EXIT.ok;
  }
  const rows = page.approvals.map((a) => [
    a.id,
    a.status,
    `${a.decisions.filter((d) => d.decision === 'approve').length}/${a.requiredApprovals}`,
    a.requiredRoles.join('/') || '-',
    shortTime(a.expiresAt),
    a.incidentId,
    a.description.text,
  ]);
  for (const line of table(['ID', 'STATUS', 'VOTES', 'ROLES', 'EXPIRES', 'INCIDENT', 'ACTION'], rows)) writeLine(line);
  if (page.nextCursor !== undefined) writeLine(`more: --cursor ${page.nextCursor}`);
  return EXIT.ok;
}

interface DecideOptions extends RemoteCommandOptions {
  approve?: boolean;
  reject?: boolean;
  reason?: string;
  actionDigest?: string;
  breakGlass?: boolean;
  justification?: string;
}

async function decide(approvalId: string, options: DecideOptions): Promise<number> {
  if (options.approve === options.reject) throw new CliError(EXIT.usage, 'give exactly one of --approve and --reject');
  if (options.breakGlass && options.justification === undefined)
    throw new CliError(EXIT.usage, '--break-glass needs --justification "<why>"');
  const body = {
    decision: options.approve ? 'approve' : 'reject',
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.actionDigest === undefined ? {} : { actionDigest: options.actionDigest }),
    ...(options.breakGlass ? { breakGlass: true, justification: options.justification } : {}),
  };
  const client = await ApiClient.from(options);
  // One key per invocation: should the request be retried on the way, it still counts once.
  const answer = await client.json(
    'POST',
    `/approvals/${encodeURIComponent(approvalId)}/decision`,
    decisionAnswerSchema,
    body,
    { 'idempotency-key': randomUUID() },
  );
  if (options.json) {
    writeJson(answer);
    return EXIT.ok;
  }
  writeLine(
    answer.status === 'pending'
      ? `${answer.approvalId}: vote recorded; ${answer.approvalsRemaining} more approval(s) needed`
      : `${answer.approvalId}: ${answer.status}`,
  );
  return EXIT.ok;
}

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description('approval requests of a running API');
  remoteOptions(
    approvals
      .command('list')
      .description('approval requests, oldest first (GET /approvals); pending ones unless --status or --all')
      .addOption(new Option('--status <status>', 'effective status (default pending)').choices(APPROVAL_STATUSES))
      .addOption(new Option('--all', 'every status').conflicts('status'))
      .option('--incident <incidentId>', "only this incident's requests")
      .option('--limit <n>', 'page size, 1-500 (default 100)')
      .option('--cursor <cursor>', 'nextCursor of the previous page'),
  ).action(act(list));
  remoteOptions(
    approvals
      .command('decide')
      .description('approve or reject a pending action (POST /approvals/{id}/decision)')
      .argument('<approvalId>')
      .addOption(new Option('--approve', 'approve the action').conflicts('reject'))
      .addOption(new Option('--reject', 'reject the action').conflicts('approve'))
      .option('--reason <text>', 'why (recorded in the audit trail)')
      .option('--action-digest <sha256>', 'refuse if the action changed since you reviewed this digest')
      .option('--break-glass', 'rule 11: force the action now (break-glass role; needs --justification)')
      .option('--justification <text>', 'the written justification of a break-glass decision'),
  ).action(act(decide));
  return approvals;
}
