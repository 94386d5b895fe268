/**
 * The incidents queue (GET /console/incidents): the filters as a GET form, counts per zone,
 * the incidents newest first, paging links. The queue region is also served alone
 * (GET /console/incidents/live) for console.js to swap in when the event stream says
 * incidents changed: one rendering for the page and its live updates.
 */
import { SEVERITIES } from '../../alerts/alert';
import type { IncidentSummary, ZoneCount } from '../../audit/incident-index';
import { CASE_STATUSES } from '../../cases/case-state';
import { consolePage, e, timeTag, type ConsoleViewer } from './layout';

/** The queue's filters as the form holds them (strings; empty means any). */
export const QUEUE_FILTERS = [
  'status',
  'severity',
  'zone',
  'source',
  'unhandled',
  'waitingForApproval',
  'caseStatus',
  'assignee',
] as const;
export type QueueFilterName = (typeof QUEUE_FILTERS)[number];
export type QueueFilters = Partial<Record<QueueFilterName, string>>;

export interface QueueInput {
  viewer: ConsoleViewer;
  filters: QueueFilters;
  limit: number;
  offset: number;
  incidents: IncidentSummary[];
  total: number;
  zoneCounts: ZoneCount[];
  /** Choices of the selects: configured zones, sources, operators. */
  choices: { zones: string[]; sources: string[]; operators: { id: string; name: string }[] };
  /** A refused filter (400): shown above the form, the queue left empty. */
  error?: string;
}

/** The queue URL for these filters and offset (only non-empty filters). */
export function queueHref(base: string, filters: QueueFilters, offset = 0): string {
  const query = new URLSearchParams();
  for (const name of QUEUE_FILTERS) {
    const value = filters[name];
    if (value !== undefined && value !== '') query.set(name, value);
  }
  if (offset > 0) query.set('offset', String(offset));
  const text = query.toString();
  return text === '' ? base : `${base}?${text}`;
}

function select(name: QueueFilterName, label: string, options: [string, string][], current: string | undefined) {
  const items = [['', 'any'] as [string, string], ...options]
    .map(
      ([value, text]) =>
        `<option value="${e(value)}"${value === (current ?? '') ? ' selected' : ''}>${e(text)}</option>`,
    )
    .join('');
  return `<div class="field"><label for="f-${name}">${e(label)}</label><select id="f-${name}" name="${name}">${items}</select></div>`;
}

function checkbox(name: QueueFilterName, label: string, current: string | undefined) {
  return `<div class="field check"><input type="checkbox" id="f-${name}" name="${name}" value="true"${current === 'true' ? ' checked' : ''}><label for="f-${name}">${e(label)}</label></div>`;
}

function filterForm(input: QueueInput): string {
  const f = input.filters;
  const pairs = (values: readonly string[]): [string, string][] => values.map((v) => [v, v]);
  // A filter value not among the configured choices (e.g. a zone from a link) stays selectable.
  const withCurrent = (values: string[], current: string | undefined) =>
    current === undefined || current === '' || values.includes(current) ? values : [...values, current];
  return `<form class="filters" method="get" action="/console/incidents" aria-label="Filter incidents">
${select('status', 'Status', pairs(['open', 'closed']), f.status)}
${select('severity', 'Severity', pairs([...SEVERITIES].reverse()), f.severity)}
${select('zone', 'Zone', pairs(withCurrent(input.choices.zones, f.zone)), f.zone)}
${select('source', 'Source', pairs(withCurrent(input.choices.sources, f.source)), f.source)}
${select('caseStatus', 'Case', pairs(CASE_STATUSES), f.caseStatus)}
${select(
  'assignee',
  'Assignee',
  input.choices.operators.map((o) => [o.id, o.name]),
  f.assignee,
)}
${checkbox('unhandled', 'Unhandled', f.unhandled)}
${checkbox('waitingForApproval', 'Waiting for approval', f.waitingForApproval)}
<div class="actions"><button type="submit">Filter</button> <a href="/console/incidents">Clear</a></div>
</form>`;
}

function zoneChips(input: QueueInput): string {
  const current = input.filters.zone ?? '';
  const chip = (zone: string, label: string, count: number | undefined) =>
    `<li><a class="chip" href="${e(queueHref('/console/incidents', { ...input.filters, zone }))}"${zone === current ? ' aria-current="true"' : ''} data-zone="${e(zone)}">${e(label)}${count === undefined ? '' : ` <span class="count">${e(count)}</span>`}</a></li>`;
  const chips = [chip('', 'All zones', undefined), ...input.zoneCounts.map((z) => chip(z.zone, z.zone, z.count))];
  return `<nav class="zones" aria-label="Incidents per zone"><ul>${chips.join('')}</ul></nav>`;
}

function badges(i: IncidentSummary): string {
  return [
    i.pendingApprovals > 0
      ? `<span class="badge waiting" title="approval requests waiting">${e(i.pendingApprovals)} waiting for approval</span>`
      : '',
    i.unhandled ? '<span class="badge unhandled">unhandled</span>' : '',
  ].join(' ');
}

function rows(input: QueueInput): string {
  if (input.incidents.length === 0)
    return `<p class="empty">${input.error === undefined ? 'No incident matches these filters.' : ''}</p>`;
  const body = input.incidents
    .map(
      (i) => `<tr data-incident="${e(i.incidentId)}" class="sev-row-${e(i.severity ?? 'unknown')}">
<td data-label="Opened">${timeTag(i.openedAt)}</td>
<td data-label="Severity"><span class="sev sev-${e(i.severity ?? 'unknown')}">${e(i.severity ?? 'unknown')}</span></td>
<td data-label="Incident" class="title"><a href="/console/incidents/${e(i.incidentId)}">${e(i.title ?? i.incidentId)}</a> ${badges(i)}<div class="muted mono">${e(i.incidentId)}</div></td>
<td data-label="Zones">${e(i.zones.join(', ') || '—')}</td>
<td data-label="Sources">${e(i.sources.join(', '))}</td>
<td data-label="Status">${e(i.status)} · <span class="case case-${e(i.caseStatus)}">${e(i.caseStatus)}</span></td>
<td data-label="Assignee">${e(i.assignee ?? '—')}</td>
<td data-label="Alerts" class="num">${e(i.alertCount)}</td>
</tr>`,
    )
    .join('\n');
  return `<table class="queue"><caption class="sr-only">Incidents, newest first</caption>
<thead><tr><th scope="col">Opened</th><th scope="col">Severity</th><th scope="col">Incident</th><th scope="col">Zones</th><th scope="col">Sources</th><th scope="col">Status · case</th><th scope="col">Assignee</th><th scope="col" class="num">Alerts</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function paging(input: QueueInput): string {
  const first = input.total === 0 ? 0 : input.offset + 1;
  const last = input.offset + input.incidents.length;
  const newer =
    input.offset > 0
      ? `<a rel="prev" href="${e(queueHref('/console/incidents', input.filters, Math.max(0, input.offset - input.limit)))}">← Newer</a>`
      : '';
  const older =
    last < input.total
      ? `<a rel="next" href="${e(queueHref('/console/incidents', input.filters, last))}">Older →</a>`
      : '';
  return `<nav class="paging" aria-label="Pages"><span class="range">${e(first)}–${e(last)} of <span class="total">${e(input.total)}</span></span> ${newer} ${older}</nav>`;
}

/** The live part of the queue: zone counts, the table, paging. */
export function queueRegion(input: QueueInput): string {
  return `${zoneChips(input)}\n${rows(input)}\n${paging(input)}`;
}

export function queuePage(input: QueueInput): string {
  const live = queueHref('/console/incidents/live', input.filters, input.offset);
  return consolePage({
    title: 'Incidents',
    viewer: input.viewer,
    section: 'incidents',
    data: { live: 'queue' },
    body: `<h1>Incidents</h1>
${input.error === undefined ? '' : `<p class="error" role="alert">${e(input.error)}</p>`}
${filterForm(input)}
<section id="queue" aria-label="Incident queue" data-src="${e(live)}">
${queueRegion(input)}
</section>`,
  });
}
