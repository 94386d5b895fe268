/**
 * The playbooks pages (data → HTML, no I/O): the list with triggers and the policy's warnings
 * per step, one playbook with its YAML, and the dry-run form with what each step would do and
 * why. Playbook text and alert values are untrusted: everything is escaped.
 */
import type { PolicyWarning } from '../../playbooks/dry-run';
import type { PlaybookTrigger } from '../../playbooks/schema';
import type { PlaybooksService } from '../playbooks/playbooks.service';
import { consolePage, csrfField, e, type ConsoleViewer } from './layout';

export type DryRunResult = Awaited<ReturnType<PlaybooksService['dryRun']>>;

export interface PlaybookSummary {
  id: string;
  name: string;
  version: number;
  description?: string | undefined;
  rollbackOnFailure: boolean;
  triggers: readonly PlaybookTrigger[];
  steps: readonly { id: string; action: string }[];
  warnings: readonly PolicyWarning[];
}

function triggerText(trigger: PlaybookTrigger): string {
  const parts = [
    trigger.sources === undefined ? undefined : `sources <code>${e(trigger.sources.join(', '))}</code>`,
    trigger.minSeverity === undefined ? undefined : `severity ≥ <code>${e(trigger.minSeverity)}</code>`,
    trigger.when === undefined ? undefined : `when <code>${e(trigger.when)}</code>`,
  ].filter((p): p is string => p !== undefined);
  return parts.join(' and ');
}

function triggers(list: readonly PlaybookTrigger[]): string {
  return `<ul class="triggers">${list.map((t) => `<li>${triggerText(t)}</li>`).join('')}</ul>`;
}

function badge(outcome: string): string {
  return `<span class="badge ${e(outcome)}">${e(outcome)}</span>`;
}

/** Steps in order, each with the policy's warning about it (or "automatic when allowed"). */
function steps(playbook: PlaybookSummary): string {
  const rows = playbook.steps.map((step) => {
    const warnings = playbook.warnings.filter((w) => w.stepId === step.id);
    const cell =
      warnings.length === 0
        ? '<span class="muted">no policy gate predicted</span>'
        : warnings.map((w) => `${badge(w.outcome)} ${e(w.message)}`).join('<br>');
    return `<tr><td><code>${e(step.id)}</code></td><td><code>${e(step.action)}</code></td><td class="warning">${cell}</td></tr>`;
  });
  return `<div class="scroll"><table class="steps"><thead><tr><th scope="col">Step</th><th scope="col">Action</th><th scope="col">Policy</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** GET /console/playbooks. */
export function playbooksPage(input: { viewer: ConsoleViewer; playbooks: readonly PlaybookSummary[] }): string {
  const cards = input.playbooks.map(
    (p) => `<article class="card playbook" id="${e(p.id)}">
<h2><a href="/console/playbooks/${encodeURIComponent(p.id)}">${e(p.name)}</a> <span class="muted"><code>${e(p.id)}</code> v${p.version}</span></h2>
${p.description === undefined ? '' : `<p>${e(p.description)}</p>`}
<p><strong>Runs when any of:</strong></p>${triggers(p.triggers)}
${steps(p)}
</article>`,
  );
  return consolePage({
    title: 'Playbooks',
    viewer: input.viewer,
    section: 'playbooks',
    body: `<h1>Playbooks <span class="badge">${input.playbooks.length}</span></h1>
<p class="muted">The engine's policy decides every step, whatever a playbook says: the warnings say where it will ask for approval, only recommend, or refuse.</p>
${cards.join('\n')}`,
  });
}

function valuesText(values: Record<string, unknown>): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return '';
  return ` — read: ${entries.map(([k, v]) => `<code>${e(k)}</code> = <code>${e(JSON.stringify(v) ?? 'null')}</code>`).join(', ')}`;
}

function matchText(match: DryRunResult['match']): string {
  return `<ul class="match">${match.triggers
    .map((t) => {
      if (t.matched) return `<li>trigger ${t.trigger + 1}: <span class="ok">matches</span></li>`;
      const f = t.failed;
      return `<li>trigger ${t.trigger + 1}: does not match${
        f === undefined
          ? ''
          : ` — <code>${e(f.filter)}</code> <code>${e(f.condition)}</code> is false${f.error === undefined ? '' : ` (${e(f.error)})`}${valuesText(f.values)}`
      }</li>`;
    })
    .join('')}</ul>`;
}

function plannedStep(step: DryRunResult['steps'][number]): string {
  const t = step.target;
  const where =
    t === undefined
      ? ''
      : `<br><span class="muted">target</span> ${e(t.assetId ?? t.ref)} · ${e(t.domain.toUpperCase())} · zone ${e(t.zone ?? 'unknown')} · Purdue level ${e(t.purdueLevel ?? 'unknown')} · criticality ${e(t.criticality ?? 'unknown')}${t.known ? '' : ' · not in the inventory'}${t.safetySystem === true ? ' · <strong>safety system</strong>' : ''}`;
  const what =
    step.status !== 'planned'
      ? `${badge(step.status)} ${e(step.detail ?? '')}`
      : `${badge(step.outcome ?? 'planned')} <code>${e(step.rule ?? '')}</code> — ${e(step.reason ?? '')}${
          step.approval === undefined
            ? ''
            : `<br>needs ${step.approval.approvals} approval(s) by ${e(step.approval.roles.join(' or '))}, within ${Math.round(step.approval.ttlMs / 60_000)} min`
        }${step.enforcementPoint === undefined ? '' : `<br><span class="muted">enforced at</span> <code>${e(step.enforcementPoint)}</code>`}`;
  return `<tr class="planned-step"><td><code>${e(step.stepId)}</code><br><code>${e(step.action)}</code>${where}</td><td>${what}</td></tr>`;
}

function dryRunResult(result: DryRunResult): string {
  const others = result.playbooks.filter((m) => m.matched && m.playbookId !== result.playbook.id);
  return `<section class="card dry-run-result" aria-labelledby="result" id="dry-run-result">
<h2 id="result">Dry run: ${result.triggerMatches ? '<span class="ok">the playbook would run</span>' : '<span class="error">the playbook would not run</span>'}</h2>
<p class="muted">Nothing was executed and no integration was called. Alert <code>${e(result.alert.uid)}</code> “${e(result.alert.title)}” (${e(result.alert.severity)}) would join incident <code>${e(result.incidentId)}</code>.</p>
<p><strong>Why:</strong></p>${matchText(result.match)}
${others.length === 0 ? '' : `<p>Other playbooks this alert would also start: ${others.map((m) => `<code>${e(m.playbookId)}</code>`).join(', ')}.</p>`}
<p><strong>Per step</strong>${result.triggerMatches ? '' : ' (if it ran)'}:</p>
<div class="scroll"><table class="plan"><thead><tr><th scope="col">Step and target</th><th scope="col">What would happen and why</th></tr></thead><tbody>${result.steps.map(plannedStep).join('')}</tbody></table></div>
</section>`;
}

/** GET /console/playbooks/{id}, and the same page answering a dry run (result or error). */
export function playbookPage(input: {
  viewer: ConsoleViewer;
  playbook: PlaybookSummary;
  file: string;
  yaml: string;
  sources: readonly string[];
  form?: { source: string; alert: string };
  result?: DryRunResult;
  error?: { message: string; issues?: readonly { path: string; message: string }[] };
}): string {
  const { viewer, playbook } = input;
  const chosen = input.form?.source ?? input.sources[0] ?? 'generic';
  const error =
    input.error === undefined
      ? ''
      : `<div class="notice error dry-run-error" role="alert"><p>${e(input.error.message)}</p>${
          input.error.issues === undefined || input.error.issues.length === 0
            ? ''
            : `<ul>${input.error.issues.map((i) => `<li><code>${e(i.path)}</code>: ${e(i.message)}</li>`).join('')}</ul>`
        }</div>`;
  return consolePage({
    title: playbook.name,
    viewer,
    section: 'playbooks',
    body: `<p><a href="/console/playbooks">← Playbooks</a></p>
<h1>${e(playbook.name)} <span class="muted"><code>${e(playbook.id)}</code> v${playbook.version}</span></h1>
${playbook.description === undefined ? '' : `<p>${e(playbook.description)}</p>`}
<section class="card"><h2>Triggers</h2>${triggers(playbook.triggers)}
<h2>Steps and the policy's warnings</h2>${steps(playbook)}
${playbook.rollbackOnFailure ? '<p>Rolls back executed steps, newest first, when a step fails.</p>' : ''}</section>
<section class="card" aria-labelledby="dry-run"><h2 id="dry-run">Dry run with an alert</h2>
<p class="muted">Paste an alert as its source would POST it. The engine's policy decides each step; nothing is executed.</p>
${error}
<form method="post" action="/console/playbooks/${encodeURIComponent(playbook.id)}/dry-run#dry-run-result">
${csrfField(viewer)}
<label for="source">Source</label>
<select id="source" name="source">${input.sources
      .map((s) => `<option value="${e(s)}"${s === chosen ? ' selected' : ''}>${e(s)}</option>`)
      .join('')}</select>
<label for="alert">Alert (JSON)</label>
<textarea id="alert" name="alert" class="code" required spellcheck="false">${e(input.form?.alert ?? '')}</textarea>
<div class="actions"><button type="submit">Dry run</button></div>
</form></section>
${input.result === undefined ? '' : dryRunResult(input.result)}
<section class="card" aria-labelledby="yaml"><h2 id="yaml">YAML <span class="muted">(${e(input.file)})</span></h2>
<pre class="yaml"><code>${e(input.yaml)}</code></pre></section>`,
  });
}
