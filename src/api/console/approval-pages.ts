/**
 * The approvals inbox, one approval, and the confirmation step (data → HTML, no I/O). The
 * action is shown in words and in its technical form; the target, zone, Purdue level and
 * criticality are repeated on the confirmation so nobody approves the wrong asset. The forms
 * work without JavaScript; countdown.js only makes the expiry count down live.
 */
import type { ActionDescription } from '../../policy/describe-action';
import { consolePage, csrfField, e, type ConsoleViewer } from './layout';

/** The asset that counts the expiries down (src/api/console/assets/countdown.js). */
export const COUNTDOWN_SCRIPT = 'countdown.js';

/** The role that may force a gated action on its own (rule 11), and what a justification needs. */
export const BREAK_GLASS = { role: 'break-glass', minJustification: 20 } as const;

export type ConsoleDecision = 'approve' | 'reject' | 'break-glass';

export interface VoteView {
  operatorId: string;
  name: string;
  decision: string;
  at: string;
  channel: string;
  reason?: string | undefined;
  breakGlass?: boolean | undefined;
}

export interface ApprovalView {
  id: string;
  incidentId: string;
  playbookId: string;
  stepId: string;
  status: string;
  description: ActionDescription;
  target: {
    ref?: string | undefined;
    assetId?: string | undefined;
    zone?: string | undefined;
    purdueLevel?: number | undefined;
    kind?: string | undefined;
    criticality?: string | undefined;
  } | null;
  rule?: string | undefined;
  reason?: string | undefined;
  requiredApprovals: number;
  requiredRoles: readonly string[];
  votes: readonly VoteView[];
  actionDigest: string;
  createdAt: string;
  expiresAt: string;
}

/** How many approvals are still missing (a rejection ends the request). */
export function approvalsRemaining(approval: Pick<ApprovalView, 'requiredApprovals' | 'votes'>): number {
  const approvals = approval.votes.filter((v) => v.decision === 'approve').length;
  return Math.max(0, approval.requiredApprovals - approvals);
}

/** Whether this approval asks for a role the viewer holds, and they have not voted yet. */
export function waitsFor(viewer: Pick<ConsoleViewer, 'id' | 'roles'>, approval: ApprovalView): boolean {
  return (
    approval.status === 'pending' &&
    !approval.votes.some((v) => v.operatorId === viewer.id) &&
    (approval.requiredRoles.some((r) => viewer.roles.includes(r)) || viewer.roles.includes(BREAK_GLASS.role))
  );
}

function targetName(approval: ApprovalView): string {
  return approval.target?.assetId ?? approval.target?.ref ?? approval.description.text;
}

/** "plc-7 · zone line1-cell · Purdue level 1 · criticality high" — what the confirmation repeats. */
export function targetLine(approval: ApprovalView): string {
  const t = approval.target;
  return [
    targetName(approval),
    `zone ${t?.zone ?? 'unknown (treated as OT)'}`,
    `Purdue level ${t?.purdueLevel ?? 'unknown'}`,
    `criticality ${t?.criticality ?? 'unknown'}`,
  ].join(' · ');
}

function time(iso: string): string {
  return `<time datetime="${e(iso)}">${e(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}</time>`;
}

/** The expiry, counted down by countdown.js; without script it reads as the fixed time and the minutes left. */
function countdown(expiresAt: string, now: number): string {
  const minutes = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 60_000));
  return `<span class="countdown" data-expires="${e(expiresAt)}" data-now="${now}" role="timer" aria-live="off">expires in about ${minutes} min</span> <span class="muted">(${time(expiresAt)})</span>`;
}

function fact(label: string, value: string): string {
  return `<div><dt>${e(label)}</dt><dd>${value}</dd></div>`;
}

function voteLine(vote: VoteView): string {
  const verb =
    vote.breakGlass === true ? 'forced (break-glass)' : vote.decision === 'approve' ? 'approved' : 'rejected';
  const reason = vote.reason === undefined || vote.reason === '' ? '' : ` — “${e(vote.reason)}”`;
  return `<li><span class="voter">${e(vote.name)}</span> ${verb} at ${time(vote.at)} via ${e(vote.channel)}${reason}</li>`;
}

function decisionLinks(viewer: ConsoleViewer, approval: ApprovalView): string {
  if (approval.status !== 'pending') return '';
  const base = `/console/approvals/${encodeURIComponent(approval.id)}/confirm?decision=`;
  const what = e(targetName(approval));
  return `<div class="actions">
<a class="button approve" href="${base}approve">Approve…<span class="sr-only"> ${what}</span></a>
<a class="button reject" href="${base}reject">Reject…<span class="sr-only"> ${what}</span></a>
${viewer.roles.includes(BREAK_GLASS.role) ? `<a class="button breakglass" href="${base}break-glass">Break glass…</a>` : ''}
</div>`;
}

/** One approval as a card: what, where, why, who has approved, until when, and its buttons. */
export function approvalCard(viewer: ConsoleViewer, approval: ApprovalView, now: number, focus = false): string {
  const t = approval.target;
  const approved = approval.votes.filter((v) => v.decision === 'approve').length;
  const remaining = approvalsRemaining(approval);
  const status =
    approval.status === 'pending'
      ? `${countdown(approval.expiresAt, now)}`
      : `<span class="badge">${e(approval.status)}</span>`;
  return `<article class="card approval${focus ? ' focus' : ''}" id="${e(approval.id)}" aria-labelledby="${e(approval.id)}-title">
<h2 id="${e(approval.id)}-title">${e(approval.description.text)}</h2>
<code class="technical">${e(approval.description.technical)}</code>
<dl class="facts">
${fact('Target', `<span class="target">${e(targetName(approval))}</span>${t?.kind === undefined ? '' : ` <span class="muted">(${e(t.kind)})</span>`}`)}
${fact('Zone', e(t?.zone ?? 'unknown (treated as OT)'))}
${fact('Purdue level', e(t?.purdueLevel ?? 'unknown'))}
${fact('Criticality', e(t?.criticality ?? 'unknown'))}
${fact('Rule', `<code>${e(approval.rule ?? 'unknown')}</code>`)}
${fact('Approvals', `<span class="approvals">${approved} of ${approval.requiredApprovals}</span> by ${e(approval.requiredRoles.join(' or '))}${approval.status === 'pending' ? ` — ${remaining} still needed` : ''}`)}
${fact(approval.status === 'pending' ? 'Expires' : 'Status', status)}
${fact('Incident', `<a href="/console/incidents/${encodeURIComponent(approval.incidentId)}">${e(approval.incidentId)}</a>`)}
${fact('Playbook step', `${e(approval.playbookId)} / ${e(approval.stepId)}`)}
</dl>
${approval.reason === undefined ? '' : `<p><strong>Why approval is needed:</strong> ${e(approval.reason)}</p>`}
<p><strong>Already decided:</strong></p>
${approval.votes.length === 0 ? '<p class="muted">nobody yet</p>' : `<ul class="plain votes">${approval.votes.map(voteLine).join('')}</ul>`}
<p class="muted">Action digest <code class="digest">${e(approval.actionDigest)}</code> · approval <a href="/console/approvals/${encodeURIComponent(approval.id)}"><code>${e(approval.id)}</code></a></p>
${decisionLinks(viewer, approval)}
</article>`;
}

/** GET /console/approvals: what waits for the viewer, then what waits for others. */
export function inboxPage(input: {
  viewer: ConsoleViewer;
  mine: readonly ApprovalView[];
  others: readonly ApprovalView[];
  focus?: string | undefined;
  now: number;
}): string {
  const { viewer, mine, others, now } = input;
  const list =
    mine.length === 0
      ? `<p class="notice">Nothing waits for your roles (${e(viewer.roles.join(', '))}) right now.</p>`
      : mine.map((a) => approvalCard(viewer, a, now, a.id === input.focus)).join('\n');
  const rest =
    others.length === 0
      ? ''
      : `<section aria-labelledby="others"><h2 id="others">Pending, waiting for other people (${others.length})</h2>
<ul>${others
          .map(
            (a) =>
              `<li><a href="/console/approvals/${encodeURIComponent(a.id)}">${e(a.description.text)}</a> — ${approvalsRemaining(a)} approval(s) by ${e(a.requiredRoles.join(' or '))} still needed</li>`,
          )
          .join('')}</ul></section>`;
  return consolePage({
    title: 'Approvals',
    viewer,
    section: 'approvals',
    scripts: [COUNTDOWN_SCRIPT],
    // Listens to the event stream for the session's end (signed out elsewhere, timed out).
    data: { live: 'session' },
    body: `<h1>Approvals waiting for you <span class="badge count">${mine.length}</span></h1>\n${list}\n${rest}`,
  });
}

/** GET /console/approvals/{id}: one approval, pending or decided (where the links people get land). */
export function approvalPage(input: {
  viewer: ConsoleViewer;
  approval: ApprovalView;
  recorded?: boolean;
  now: number;
}): string {
  const { viewer, approval } = input;
  const mine = approval.votes.find((v) => v.operatorId === viewer.id);
  const notice =
    input.recorded === true && mine !== undefined
      ? `<p class="notice ok" role="status">Your decision is recorded (${e(mine.decision)}). ${
          approval.status === 'pending' && approvalsRemaining(approval) > 0
            ? `${approvalsRemaining(approval)} more approval(s) needed before anything is done.`
            : mine.decision === 'approve'
              ? 'The approval is complete: the action runs now.'
              : 'The action will not be taken.'
        }</p>`
      : approval.status === 'pending' && !waitsFor(viewer, approval) && mine === undefined
        ? `<p class="notice">This approval asks for ${e(approval.requiredRoles.join(' or '))}; your roles are ${e(viewer.roles.join(', '))}. A decision from you would be refused.</p>`
        : '';
  return consolePage({
    title: `Approval ${approval.id}`,
    viewer,
    section: 'approvals',
    scripts: [COUNTDOWN_SCRIPT],
    data: { live: 'session' },
    body: `<p><a href="/console/approvals">← Approvals inbox</a></p>
<h1>Approval for incident ${e(approval.incidentId)}</h1>
${notice}
${approvalCard(viewer, approval, input.now, false)}`,
  });
}

const VERB: Record<ConsoleDecision, string> = { approve: 'Approve', reject: 'Reject', 'break-glass': 'Force now' };

/** The confirmation step: repeats the action and the target, asks for the reason, posts with the CSRF token. */
export function confirmPage(input: {
  viewer: ConsoleViewer;
  approval: ApprovalView;
  decision: ConsoleDecision;
  now: number;
  /** Refusal or invalid field, shown above the form (the page is answered with its status). */
  error?: { message: string; code?: string | undefined; issues?: readonly { path: string; message: string }[] };
  values?: { reason?: string | undefined; justification?: string | undefined };
}): string {
  const { viewer, approval, decision } = input;
  const breakGlass = decision === 'break-glass';
  const target = targetLine(approval);
  const error =
    input.error === undefined
      ? ''
      : `<div class="notice error refusal" role="alert"><p>Refused: ${e(input.error.message)}${
          input.error.code === undefined ? '' : ` <code>${e(input.error.code)}</code>`
        }</p>${
          input.error.issues === undefined || input.error.issues.length === 0
            ? ''
            : `<ul>${input.error.issues.map((i) => `<li><code>${e(i.path)}</code>: ${e(i.message)}</li>`).join('')}</ul>`
        }</div>`;
  const reasonField = breakGlass
    ? `<label for="justification">Justification (required, at least ${BREAK_GLASS.minJustification} characters; it is reviewed)</label>
<textarea id="justification" name="justification" rows="4" required minlength="${BREAK_GLASS.minJustification}" maxlength="2000">${e(input.values?.justification ?? '')}</textarea>`
    : `<label for="reason">Reason${decision === 'reject' ? ' (required)' : ' (optional)'}</label>
<textarea id="reason" name="reason" rows="3" maxlength="2000"${decision === 'reject' ? ' required' : ''}>${e(input.values?.reason ?? '')}</textarea>`;
  return consolePage({
    title: `${VERB[decision]} — ${approval.id}`,
    viewer,
    section: 'approvals',
    scripts: [COUNTDOWN_SCRIPT],
    body: `<p><a href="/console/approvals/${encodeURIComponent(approval.id)}">← Back to the approval</a></p>
<h1>${VERB[decision]}: ${e(approval.description.text)}?</h1>
${error}
<section class="card confirm" aria-label="What you are deciding">
<p class="confirm-target"><strong>Target:</strong> <span class="target-line">${e(target)}</span></p>
<p><strong>Action:</strong> ${e(approval.description.text)}<code class="technical">${e(approval.description.technical)}</code></p>
<p><strong>Rule:</strong> <code>${e(approval.rule ?? 'unknown')}</code> · ${approvalsRemaining(approval)} of ${approval.requiredApprovals} approval(s) still needed · ${countdown(approval.expiresAt, input.now)}</p>
<p class="muted">Action digest <code>${e(approval.actionDigest)}</code>: if the action changes before you confirm, your decision is refused.</p>
${breakGlass ? '<p class="notice error">Break-glass forces the action now, without the other approvals. It is flagged for review. Safety systems and never-automated actions cannot be forced.</p>' : ''}
</section>
<form method="post" action="/console/approvals/${encodeURIComponent(approval.id)}/decision" class="card">
${csrfField(viewer)}
<input type="hidden" name="decision" value="${e(decision)}">
<input type="hidden" name="actionDigest" value="${e(approval.actionDigest)}">
${reasonField}
<div class="actions">
<button type="submit" class="${breakGlass ? 'breakglass' : decision}">${VERB[decision]} ${e(targetName(approval))}</button>
<a class="button" href="/console/approvals/${encodeURIComponent(approval.id)}">Cancel</a>
</div>
</form>`,
  });
}
