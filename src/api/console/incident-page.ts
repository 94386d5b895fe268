/**
 * The console's incident page (GET /console/incidents/{id}): what the incident API returns
 * (incident-view.ts) laid out for a responder — alerts with their normalized fields and the
 * recorded alert, targets, each policy decision with the action in plant words beside its
 * technical form and what came of it, approvals with names and times, rollback, the audit
 * chain's state, links — and the case work forms. The timeline rows and the pending-approval
 * box are the timeline page's own (ui/timeline-page.ts).
 */
import type { ApprovalRow } from '../../approvals/approval-store';
import type { AuditRecord, AuditTarget, VerifyResult } from '../../audit/types';
import { CASE_STATUSES } from '../../cases/case-state';
import { describeAction } from '../../policy/describe-action';
import type { IncidentDetail } from '../incidents/incident-view';
import { isRollback, pendingSection, timelineRows } from '../ui/timeline-page';
import type { StoredRawBody } from '../../intake/raw-body-store';
import { consolePage, csrfField, duration, e, timeTag, type ConsoleViewer } from './layout';
import { rawPayloadBlock } from './raw-payload';

export interface IncidentPageInput {
  viewer: ConsoleViewer;
  detail: IncidentDetail;
  records: AuditRecord[];
  verification: VerifyResult;
  operators: { id: string; name: string }[];
  operatorName: (id: string) => string;
  /** A fresh idempotency key for the comment form: submitting it twice records one comment. */
  commentKey: string;
  /** The stored raw webhook bodies among those the page read (`rawBodiesRead`), by SHA-256. */
  rawBodies?: ReadonlyMap<string, StoredRawBody>;
  /** The SHA-256s the page looked up (the first distinct ones): others are linked, not shown. */
  rawBodiesRead?: ReadonlySet<string>;
  /** After a form: what was saved, or why it was refused. */
  notice?: { kind: 'saved' | 'error'; text: string };
}

function json(value: unknown): string {
  return e(JSON.stringify(value, null, 2));
}

/** A definition list of the non-empty pairs. */
function facts(pairs: [string, string | undefined][]): string {
  return `<dl class="facts">${pairs
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<dt>${e(k)}</dt><dd>${v ?? ''}</dd>`)
    .join('')}</dl>`;
}

function header(input: IncidentPageInput): string {
  const d = input.detail;
  const s = d.summary;
  const c = d.case;
  const links = [
    `<a href="/console/incidents/${e(d.incidentId)}/evidence">Evidence bundle (JSON)</a>`,
    `<a href="/console/incidents/${e(d.incidentId)}/audit.csv">Audit records (CSV)</a>`,
    d.links.temporalUi === undefined
      ? ''
      : `<a href="${e(d.links.temporalUi)}" rel="noopener noreferrer" target="_blank">Temporal UI</a>`,
  ].filter(Boolean);
  const chain = input.verification.ok
    ? `<b class="ok">verified</b> (${e(input.verification.checked)} records)`
    : `<b class="bad">DOES NOT VERIFY</b> — first broken record #${e(input.verification.firstBroken?.seq)}: ${e(input.verification.firstBroken?.reason)}`;
  return `<p class="crumbs"><a href="/console/incidents">Incidents</a> › <span class="mono">${e(d.incidentId)}</span></p>
<h1>${e(s?.title ?? d.incidentId)}</h1>
<div class="summary">
${facts([
  ['Severity', `<span class="sev sev-${e(s?.severity ?? 'unknown')}">${e(s?.severity ?? 'unknown')}</span>`],
  ['Incident', `${e(s?.status ?? 'open')} · workflow ${e(d.status ?? 'unknown to Temporal')}`],
  [
    'Case',
    `<span class="case case-${e(c.status)}">${e(c.status)}</span>${c.assignee === null ? '' : ` · ${e(input.operatorName(c.assignee))}`}`,
  ],
  ['Zones', e(s?.zones.join(', ') || '—')],
  ['Sources', e(s?.sources.join(', ') ?? '')],
  ['Opened', timeTag(s?.openedAt)],
  ['Closed', s?.closedAt ? timeTag(s.closedAt) : undefined],
  [
    'Time to acknowledge',
    `<span class="tta">${e(duration(c.timeToAcknowledgeMs))}</span>${c.acknowledgedBy === null ? '' : ` by ${e(input.operatorName(c.acknowledgedBy))}`}`,
  ],
  ['Time to contain', `<span class="ttc">${e(duration(c.timeToContainMs))}</span>`],
  ['Audit chain', `<span class="chain">${chain}</span>`],
])}
<p class="links">${links.join(' · ')}</p>
</div>`;
}

function caseForms(input: IncidentPageInput): string {
  const c = input.detail.case;
  const id = e(input.detail.incidentId);
  const statuses = CASE_STATUSES.filter((s) => s !== 'new' || c.status === 'new')
    .map((s) => `<option value="${s}"${s === c.status ? ' selected' : ''}>${s}</option>`)
    .join('');
  const assignees = [`<option value=""${c.assignee === null ? ' selected' : ''}>nobody</option>`]
    .concat(
      input.operators.map(
        (o) => `<option value="${e(o.id)}"${o.id === c.assignee ? ' selected' : ''}>${e(o.name)} (${e(o.id)})</option>`,
      ),
    )
    .join('');
  const comments =
    c.comments.length === 0
      ? '<p class="muted">No comment yet.</p>'
      : `<ol class="comments">${c.comments
          .map(
            (m) =>
              `<li><div class="meta">${e(input.operatorName(m.author))} · ${timeTag(m.time)}</div><p class="comment-text">${e(m.text)}</p></li>`,
          )
          .join('')}</ol>`;
  return `<section id="case" aria-labelledby="case-h"><h2 id="case-h">Case</h2>
<form class="case-form" method="post" action="/console/incidents/${id}/case">
${csrfField(input.viewer)}
<div class="field"><label for="case-status">Status</label><select id="case-status" name="status">${statuses}</select></div>
<div class="field"><label for="case-assignee">Assignee</label><select id="case-assignee" name="assignee">${assignees}</select></div>
<div class="field wide"><label for="case-tags">Tags <span class="muted">(comma separated)</span></label><input id="case-tags" name="tags" value="${e(c.tags.join(', '))}" autocomplete="off"></div>
<div class="actions"><button type="submit">Save case</button></div>
</form>
<h3>Comments</h3>
${comments}
<form class="comment-form" method="post" action="/console/incidents/${id}/comments">
${csrfField(input.viewer)}<input type="hidden" name="key" value="${e(input.commentKey)}">
<div class="field wide"><label for="comment-text">Add a comment</label><textarea id="comment-text" name="text" rows="3" required maxlength="4000"></textarea></div>
<div class="actions"><button type="submit">Comment</button></div>
</form>
</section>`;
}

function alertsSection(input: IncidentPageInput): string {
  const alerts = input.detail.alerts;
  if (alerts.length === 0) return '';
  const items = alerts
    .map((a) => {
      const t = a.trigger;
      const meaning = (a.meaning ?? {}) as {
        category?: string;
        network?: { protocol?: string; industrial?: boolean; safety?: boolean };
        ot?: { operation?: string; mode?: string; functionCode?: string };
        attacks?: { technique?: { uid?: string; name?: string } }[];
      };
      const record = input.records.find((r) => r.seq === a.seq);
      return `<article class="alert" data-seq="${e(a.seq)}">
<h3><span class="alert-title">${e(t?.title ?? '(no title)')}</span> <span class="sev sev-${e(t?.severity ?? 'unknown')}">${e(t?.severity ?? 'unknown')}</span>${a.eventType === 'alert.duplicate' ? ' <span class="badge">duplicate</span>' : ''}</h3>
${facts([
  ['Received', timeTag(a.time)],
  ['Source', e(t?.source)],
  ['Alert ID', `<span class="mono">${e(t?.alertUid)}</span>`],
  ['Category', e(meaning.category)],
  [
    'Network',
    meaning.network === undefined
      ? undefined
      : e(
          `${meaning.network.protocol ?? 'unknown'}${meaning.network.industrial ? ' (industrial)' : ''}${meaning.network.safety ? ' (safety)' : ''}`,
        ),
  ],
  [
    'OT operation',
    meaning.ot === undefined || meaning.ot.operation === 'unknown'
      ? undefined
      : e([meaning.ot.operation, meaning.ot.mode, meaning.ot.functionCode].filter(Boolean).join(' · ')),
  ],
  [
    'ATT&CK',
    (meaning.attacks ?? []).length === 0
      ? undefined
      : e((meaning.attacks ?? []).map((x) => `${x.technique?.uid ?? ''} ${x.technique?.name ?? ''}`.trim()).join(', ')),
  ],
  ['Raw body SHA-256', `<span class="mono hash">${e(t?.rawSha256)}</span>`],
])}
${rawPayloadBlock({
  incidentId: input.detail.incidentId,
  sha256: t?.rawSha256,
  read: t !== undefined && (input.rawBodiesRead?.has(t.rawSha256) ?? false),
  stored: t === undefined ? undefined : input.rawBodies?.get(t.rawSha256),
})}
<details><summary>Recorded alert (JSON)</summary><pre class="raw">${json(record ?? a)}</pre></details>
</article>`;
    })
    .join('\n');
  return `<section id="alerts" aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts <span class="count">${e(alerts.length)}</span></h2>${items}</section>`;
}

function targetsSection(records: AuditRecord[]): string {
  const targets = new Map<string, AuditTarget>();
  for (const r of records)
    if (r.target !== undefined && !targets.has(r.target.ref)) targets.set(r.target.ref, r.target);
  if (targets.size === 0) return '';
  const rows = [...targets.values()]
    .map(
      (t) => `<tr data-target="${e(t.ref)}">
<td data-label="Asset">${e(t.assetId ?? t.ref)}${t.known ? '' : ' <span class="badge">not in the inventory</span>'}</td>
<td data-label="Address" class="mono">${e([t.ref, ...(t.ips ?? [])].filter((v, i, all) => all.indexOf(v) === i).join(', '))}</td>
<td data-label="Zone">${e(t.zone ?? '—')}</td>
<td data-label="Purdue level">${e(t.purdueLevel ?? '—')}</td>
<td data-label="Kind">${e(t.kind ?? '—')}</td>
<td data-label="Criticality">${e(t.criticality ?? '—')}${t.safetySystem ? ' <span class="badge safety">safety system</span>' : ''}</td>
</tr>`,
    )
    .join('');
  return `<section id="targets" aria-labelledby="targets-h"><h2 id="targets-h">Targets</h2>
<table class="targets"><thead><tr><th scope="col">Asset</th><th scope="col">Address</th><th scope="col">Zone</th><th scope="col">Purdue level</th><th scope="col">Kind</th><th scope="col">Criticality</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** Primitive parameters only: what describeAction reads. */
function primitives(params: Record<string, unknown>): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(params).filter(
      (entry): entry is [string, string | number | boolean] =>
        typeof entry[1] === 'string' || typeof entry[1] === 'number' || typeof entry[1] === 'boolean',
    ),
  );
}

function describedAction(r: AuditRecord): string {
  if (r.action === undefined) return '';
  const { text, technical } = describeAction({
    action: { type: r.action.type, target: r.target?.ref ?? '', params: primitives(r.action.params) },
    target: r.target,
    enforcementPoint: r.action.enforcementPoint,
  });
  return `<p class="words">${e(text)}</p><p><code class="technical">${e(technical)}</code></p>`;
}

function votes(approval: AuditRecord['approval'], name: (id: string) => string): string {
  const approvers = approval?.approvers ?? [];
  if (approvers.length === 0) return '';
  return `<ul class="votes">${approvers
    .map(
      (v) =>
        `<li><span class="approver">${e(name(v.operatorId))}</span> ${e(v.decision === 'approve' ? 'approved' : v.decision === 'reject' ? 'rejected' : v.decision)} ${timeTag(v.at)} via ${e(v.channel)}</li>`,
    )
    .join('')}</ul>`;
}

function decisionsSection(input: IncidentPageInput): string {
  const decisions = input.records.filter((r) => r.eventType === 'policy.decided');
  if (decisions.length === 0) return '';
  const items = decisions
    .map((d) => {
      const same = (r: AuditRecord) => r.seq > d.seq && r.stepId === d.stepId && r.playbookId === d.playbookId;
      // What followed this decision for its step: approvals, then the action's outcome.
      const following = input.records.filter(same);
      const results = following
        .filter((r) => r.eventType.startsWith('action.') && r.result !== undefined)
        .map(
          (r) =>
            `<li><b class="result result-${e(r.result?.status)}">${e(r.result?.status)}</b> ${timeTag(r.time)}${r.result?.detail ? ` — ${e(r.result.detail)}` : ''}${isRollback(r) ? ' <span class="badge">rollback</span>' : ''}</li>`,
        )
        .join('');
      const approvals = following
        .filter((r) => r.eventType.startsWith('approval.'))
        .map((r) => `<li>${e(r.eventType)} ${timeTag(r.time)}${votes(r.approval, input.operatorName)}</li>`)
        .join('');
      return `<article class="decision" data-seq="${e(d.seq)}">
<h3>Step <span class="mono">${e(d.stepId ?? '—')}</span> of <span class="mono">${e(d.playbookId ?? '—')}</span>: <span class="outcome outcome-${e(d.decision?.outcome)}">${e(d.decision?.outcome)}</span></h3>
${describedAction(d)}
${facts([
  ['Rule', `<code class="rule">${e(d.decision?.rule)}</code>`],
  ['Why', e(d.decision?.reason)],
  ['Decided', timeTag(d.time)],
])}
${approvals === '' ? '' : `<h4>Approvals</h4><ul class="approval-events">${approvals}</ul>`}
${results === '' ? '' : `<h4>Results</h4><ul class="results">${results}</ul>`}
</article>`;
    })
    .join('\n');
  return `<section id="decisions" aria-labelledby="decisions-h"><h2 id="decisions-h">Policy decisions and actions</h2>${items}</section>`;
}

function approvalsSection(approvals: ApprovalRow[], name: (id: string) => string): string {
  if (approvals.length === 0) return '';
  const rows = approvals
    .map(
      (a) => `<tr data-approval="${e(a.id)}">
<td data-label="Action"><code>${e(a.action.type)}</code> on ${e(a.target?.assetId ?? a.action.target)}</td>
<td data-label="Status"><b class="approval-${e(a.status)}">${e(a.status)}</b></td>
<td data-label="Needs">${e(a.requiredApprovals)} from ${e(a.requiredRoles.join(', ') || 'any role')}</td>
<td data-label="Votes">${
        a.decisions.length === 0
          ? '—'
          : `<ul class="votes">${a.decisions
              .map(
                (v) =>
                  `<li><span class="approver">${e(name(v.operatorId))}</span> ${e(v.decision === 'approve' ? 'approved' : v.decision === 'reject' ? 'rejected' : v.decision)} ${timeTag(v.at)} via ${e(v.channel)}</li>`,
              )
              .join('')}</ul>`
      }</td>
<td data-label="Requested">${timeTag(a.createdAt)}</td>
<td data-label="Expires / decided">${a.decidedAt === null ? timeTag(a.expiresAt) : timeTag(a.decidedAt)}</td>
</tr>`,
    )
    .join('');
  return `<section id="approvals" aria-labelledby="approvals-h"><h2 id="approvals-h">Approvals</h2>
<table class="approvals"><thead><tr><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Needs</th><th scope="col">Votes</th><th scope="col">Requested</th><th scope="col">Expires / decided</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function rollbackSection(records: AuditRecord[]): string {
  const undo = records.filter(isRollback);
  if (undo.length === 0) return '';
  return `<section id="rollback" aria-labelledby="rollback-h"><h2 id="rollback-h">Rollback</h2><ul>${undo
    .map(
      (r) =>
        `<li>${timeTag(r.time)} <code>${e(r.action?.type ?? r.eventType)}</code>${r.target ? ` on ${e(r.target.assetId ?? r.target.ref)}` : ''}${r.result ? ` — <b class="result result-${e(r.result.status)}">${e(r.result.status)}</b>` : ''}</li>`,
    )
    .join('')}</ul></section>`;
}

export function incidentPage(input: IncidentPageInput): string {
  const d = input.detail;
  const notice =
    input.notice === undefined
      ? ''
      : `<p class="notice ${input.notice.kind}" role="${input.notice.kind === 'error' ? 'alert' : 'status'}">${e(input.notice.text)}</p>`;
  const unhandled =
    d.unhandled === null
      ? ''
      : `<p class="notice error">Unhandled: ${e(typeof d.unhandled.reason === 'string' ? d.unhandled.reason : 'no playbook matched')}</p>`;
  return consolePage({
    title: `Incident ${d.summary?.title ?? d.incidentId}`,
    viewer: input.viewer,
    section: 'incidents',
    data: { live: 'incident', incident: d.incidentId },
    body: `${header(input)}
${notice}${unhandled}
${pendingSection(d.pendingApprovals, input.operatorName)}
${caseForms(input)}
${alertsSection(input)}
${targetsSection(input.records)}
${decisionsSection(input)}
${approvalsSection(d.approvals, input.operatorName)}
${rollbackSection(input.records)}
<section id="audit" aria-labelledby="audit-h"><h2 id="audit-h">Timeline: the audit trail</h2>
<details><summary>All ${e(input.records.length)} audit records</summary>
<div class="scroll"><table class="timeline"><tbody>
${timelineRows(input.records, input.operatorName)}
</tbody></table></div></details></section>`,
  });
}
