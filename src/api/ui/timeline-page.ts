/**
 * The incident timeline page: server-rendered HTML from the audit trail, no scripts and no
 * build step. Every value from an alert, a playbook or an operator is escaped.
 */
import type { ApprovalRow } from '../../approvals/approval-store';
import type { IncidentSummary } from '../../audit/incident-index';
import type { AuditRecord } from '../../audit/types';

export interface TimelineInput {
  incidentId: string;
  summary: IncidentSummary | undefined;
  records: AuditRecord[];
  pendingApprovals: ApprovalRow[];
  /** "Omar Haddad (omar)" for a configured operator, else the ID. */
  operatorName: (id: string) => string;
  links: { temporalUi?: string; auditJson: string; auditCsv: string; evidence: string };
  verified: boolean;
}

export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CATEGORY: Record<string, string> = {
  alert: 'alert',
  incident: 'incident',
  playbook: 'playbook',
  policy: 'decision',
  approval: 'approval',
  action: 'action',
  people: 'notify',
  notification: 'notify',
};

/** An undo: a release, rollback or compensation action, or the saga rolling back. */
export function isRollback(r: AuditRecord): boolean {
  const type = r.action?.type ?? '';
  return /release|rollback|compensat/.test(type) || /rollback|compensat/.test(r.eventType);
}

function targetText(r: AuditRecord): string {
  const t = r.target;
  if (!t) return '';
  const parts = [
    t.assetId ?? t.ref,
    t.zone && `zone ${t.zone}`,
    t.purdueLevel !== undefined && `Purdue ${t.purdueLevel}`,
  ];
  return parts.filter(Boolean).join(' · ');
}

function describe(r: AuditRecord, name: (id: string) => string): string {
  const e = escapeHtml;
  const lines: string[] = [];
  // The alert is shown where it enters the incident, not repeated on every step.
  if (r.trigger && (r.eventType.startsWith('alert.') || r.eventType === 'incident.opened')) {
    lines.push(
      `<span class="alert-title">${e(r.trigger.title)}</span> <span class="sev sev-${e(r.trigger.severity)}">${e(r.trigger.severity)}</span> from ${e(r.trigger.source)} <span class="muted">(alert ${e(r.trigger.alertUid)})</span>`,
    );
  }
  if (r.playbookId && r.eventType.startsWith('playbook.')) lines.push(`playbook <b>${e(r.playbookId)}</b>`);
  if (r.stepId && !r.eventType.startsWith('playbook.')) lines.push(`step <b>${e(r.stepId)}</b>`);
  if (r.action) lines.push(`action <code>${e(r.action.type)}</code> via ${e(r.action.enforcementPoint)}`);
  const target = targetText(r);
  if (target) lines.push(`target ${e(target)}`);
  if (r.decision) {
    lines.push(
      `decision <b class="outcome">${e(r.decision.outcome)}</b> by rule <code class="rule">${e(r.decision.rule)}</code> — ${e(r.decision.reason)}`,
    );
  }
  if (r.approval) {
    const a = r.approval;
    if (a.requiredApprovals !== undefined) {
      lines.push(
        `needs ${e(a.requiredApprovals)} approval(s) from ${e((a.requiredRoles ?? []).join(', ') || 'any operator')}` +
          (a.expiresAt ? `, expires ${e(a.expiresAt)}` : ''),
      );
    }
    for (const v of a.approvers ?? []) {
      lines.push(
        `<span class="approver">${e(name(v.operatorId))}</span> ${e(v.decision)} at ${e(v.at)} via ${e(v.channel)} (${e(v.roles.join(', '))})`,
      );
    }
    if (a.breakGlass) lines.push(`<b>break-glass</b>: ${e(a.justification)}`);
  }
  if (r.result) {
    lines.push(
      `result <b class="result result-${e(r.result.status)}">${e(r.result.status)}</b>${r.result.detail ? ` — ${e(r.result.detail)}` : ''}`,
    );
  }
  return lines.map((l) => `<div>${l}</div>`).join('');
}

function actorText(r: AuditRecord, name: (id: string) => string): string {
  return r.actor.type === 'operator' ? name(r.actor.id) : r.actor.id;
}

/** "Omar Haddad (omar) approved at 2026-03-01 10:05:00 UTC via slack", one per vote given so far. */
function votesList(p: ApprovalRow, name: (id: string) => string): string {
  if (p.decisions.length === 0) return '';
  const e = escapeHtml;
  const items = p.decisions
    .map(
      (v) =>
        `<li class="vote"><span class="approver">${e(name(v.operatorId))}</span> ` +
        `${e(v.decision === 'approve' ? 'approved' : v.decision === 'reject' ? 'rejected' : v.decision)} ` +
        `at ${e(utc(v.at))} via ${e(v.channel)}</li>`,
    )
    .join('');
  return `<ul class="votes">${items}</ul>`;
}

/** The pending approvals box (the console's incident page shows it too). */
export function pendingSection(pending: ApprovalRow[], name: (id: string) => string): string {
  if (pending.length === 0) return '';
  const e = escapeHtml;
  const items = pending
    .map((p) => {
      const given = p.decisions.filter((v) => v.decision === 'approve').length;
      return (
        `<li class="pending-approval"><b>${e(p.action.type)}</b> on ${e(p.target?.assetId ?? p.action.target)} — ` +
        `<span class="approval-count">${e(given)}/${e(p.requiredApprovals)} approvals</span> (${e(p.requiredRoles.join(', ') || 'any role')}), ` +
        `rule ${e(p.decision?.rule ?? '')}, expires ${e(p.expiresAt)} <span class="muted">(${e(p.id)})</span>` +
        `${votesList(p, name)}</li>`
      );
    })
    .join('');
  return `<section class="pending"><h2>Waiting for approval</h2><ul>${items}</ul></section>`;
}

/** "2026-03-01 10:05:00 UTC" from an ISO-8601 UTC time. */
export function utc(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** The timeline's rows, one per audit record (the console's incident page shows them too). */
export function timelineRows(records: AuditRecord[], operatorName: (id: string) => string): string {
  const e = escapeHtml;
  return records
    .map((r) => {
      const category = CATEGORY[r.eventType.split('.')[0] ?? ''] ?? 'other';
      const classes = [`ev-${category}`, isRollback(r) ? 'rollback' : ''].filter(Boolean).join(' ');
      return (
        `<tr class="${e(classes)}" data-event="${e(r.eventType)}" data-seq="${e(r.seq)}">` +
        `<td class="time">${e(utc(r.time))}</td>` +
        `<td class="type">${e(r.eventType)}${isRollback(r) ? ' <span class="badge">rollback</span>' : ''}</td>` +
        `<td class="actor">${e(actorText(r, operatorName))}</td>` +
        `<td class="details">${describe(r, operatorName)}</td>` +
        `<td class="seq">#${e(r.seq)}</td></tr>`
      );
    })
    .join('\n');
}

export function renderTimelinePage(input: TimelineInput): string {
  const e = escapeHtml;
  const s = input.summary;
  const rows = timelineRows(input.records, input.operatorName);
  const links = [
    input.links.temporalUi && `<a href="${e(input.links.temporalUi)}">Temporal UI</a>`,
    `<a href="${e(input.links.auditJson)}">audit JSON</a>`,
    `<a href="${e(input.links.auditCsv)}">audit CSV</a>`,
    `<a href="${e(input.links.evidence)}">evidence bundle</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident ${e(input.incidentId)} — Interlock</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#1d232b}
h1{font-size:1.35rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.meta{color:#4a5563}.muted{color:#7a8593}code{background:#eef1f4;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;width:100%}td{border-top:1px solid #e3e7eb;padding:.4rem .5rem;vertical-align:top}
td.time{white-space:nowrap;color:#4a5563;width:11rem}td.type{white-space:nowrap;font-weight:600;width:10rem}
td.actor{white-space:nowrap;width:10rem}td.seq{color:#7a8593;text-align:right}
tr.ev-alert td.type{color:#a4262c}tr.ev-decision td.type{color:#5c2d91}tr.ev-approval td.type{color:#8a5300}
tr.ev-action td.type{color:#0b6a0b}tr.rollback{background:#fff8e6}.badge{background:#f2c94c;border-radius:3px;padding:0 .3rem;font-size:.8em}
.pending{border:2px solid #d08700;border-radius:6px;padding:.2rem 1rem;background:#fffaf0}
.result-failed,.result-refused{color:#a4262c}.result-succeeded{color:#0b6a0b}.ok{color:#0b6a0b}.bad{color:#a4262c}
</style></head>
<body>
<h1>Incident <code>${e(input.incidentId)}</code></h1>
<div class="meta">${s ? `${e(s.title ?? '')} · status <b>${e(s.status)}</b> · severity <b>${e(s.severity ?? 'unknown')}</b> · sources ${e(s.sources.join(', '))} · zones ${e(s.zones.join(', ') || '—')} · opened ${e(s.openedAt)}${s.closedAt ? ` · closed ${e(s.closedAt)}` : ''}` : ''}</div>
<div class="meta">audit chain: ${input.verified ? '<b class="ok">verified</b>' : '<b class="bad">DOES NOT VERIFY</b> (see /audit/verify)'} · ${links}</div>
${pendingSection(input.pendingApprovals, input.operatorName)}
<h2>Timeline</h2>
<table><tbody>
${rows}
</tbody></table>
</body></html>`;
}
