import type { NotificationEvent } from '../engine/notification-events';
import type { EmailClient, EmailMessage } from '../../integrations/email';
import type { PolicyDecision } from '../policy/types';
import type { DeliveryStore } from './delivery-store';
import { approvalLink, incidentLinks, type Directory } from './links';
import { describeActionLine } from '../policy/describe-action';
import { describeTarget } from './slack-messages';

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * One email with a text and an HTML part: paragraphs, then the console links (the approval's
 * page first when one is asked for, then the incident and its audit trail).
 */
function compose(
  to: string[],
  subject: string,
  paragraphs: string[],
  links: { incident: string; audit: string; approval?: string },
): EmailMessage {
  const text = [
    ...paragraphs,
    ...(links.approval === undefined ? [] : [`Decide in the console: ${links.approval}`]),
    `Incident: ${links.incident}`,
    `Audit trail: ${links.audit}`,
  ].join('\n\n');
  const approval =
    links.approval === undefined ? '' : `<a href="${escapeHtml(links.approval)}">Decide in the console</a> · `;
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p>${approval}<a href="${escapeHtml(links.incident)}">Open the incident</a> · <a href="${escapeHtml(links.audit)}">Audit trail</a></p>`,
  ].join('\n');
  return { to, subject, text: `${text}\n`, html: `<!doctype html><html><body>\n${html}\n</body></html>\n` };
}

function otZonesOf(decision: PolicyDecision): string[] {
  const zones = new Set<string>();
  for (const target of [decision.target, ...decision.affected]) {
    if (target.domain === 'ot' && target.zone !== undefined) zones.add(target.zone);
  }
  return [...zones];
}

/**
 * Email delivery: OT incidents to the zone's owner and shift lead (rule 15), escalations and
 * expiry notices to the approvers. Each email is sent once per delivery key.
 */
export class EmailNotifier {
  constructor(
    private readonly email: EmailClient,
    private readonly store: DeliveryStore,
    private readonly directory: Directory,
  ) {}

  async notify(event: NotificationEvent): Promise<void> {
    const { incidentId } = event.context;
    const links = incidentLinks(this.directory.publicUrl, incidentId);
    switch (event.kind) {
      case 'incident.opened': {
        // Rule 15: the plant hears about an OT incident when it opens, not at the first approval.
        if (event.alert === undefined) return;
        for (const zone of this.directory.otZonesOfAlert(event.alert)) {
          const to = this.directory.emailsOf(this.directory.plantContactsOf(zone));
          if (to.length === 0) continue;
          await this.send(
            `email:ot-incident:${incidentId}:${zone}`,
            compose(
              to,
              `[Interlock] OT incident ${incidentId} in zone ${zone}: ${event.title}`,
              [
                `Incident ${incidentId} affects zone ${zone}, which you own or lead a shift for.`,
                `Alert: ${event.title} (severity ${event.severity}, from ${event.alert.source.name}).`,
                'Any change the playbooks propose on OT assets waits for an OT approval; you will be told when one is requested.',
              ],
              links,
            ),
          );
        }
        return;
      }
      case 'incident.unhandled': {
        // The zones' owners and shift leads; with no OT zone to route by (unknown addresses only), the SOC.
        const plant = event.zones.flatMap((zone) => this.directory.plantContactsOf(zone));
        const to = this.directory.emailsOf(plant.length > 0 ? plant : this.directory.alertAudience());
        if (to.length === 0) return;
        await this.send(
          `email:incident.unhandled:${incidentId}:${event.context.runId}`,
          compose(
            to,
            `[Interlock] Unhandled OT alert in incident ${incidentId}: ${event.title}`,
            [
              `Alert: ${event.title} (severity ${event.severity}, from ${event.source}).`,
              `Why you are told: ${event.reason}. No playbook acted on it; someone must look.`,
              ...(event.zones.length === 0 ? [] : [`Zones: ${event.zones.join(', ')}.`]),
              ...(event.unknown.length === 0
                ? []
                : [`Addresses the inventory does not know: ${event.unknown.join(', ')}.`]),
            ],
            links,
          ),
        );
        return;
      }
      case 'people.alerted': {
        const to = this.directory.emailsOf(this.directory.alertAudience());
        if (to.length === 0) return;
        const message = compose(
          to,
          `[Interlock] ${event.subject}`,
          [`${event.reason}`, `Rule: ${event.rule}. Incident: ${incidentId}.`],
          links,
        );
        // An alarm may be about PostgreSQL itself: deliver even when the store cannot de-duplicate.
        await this.store.onceBestEffort(`email:people.alerted:${event.alertId}`, () => this.email.send(message));
        return;
      }
      case 'approval.requested': {
        // The first OT action of an incident routes it to the plant, once per zone.
        for (const zone of otZonesOf(event.decision)) {
          const to = this.directory.emailsOf(this.directory.plantContactsOf(zone));
          if (to.length === 0) continue;
          const title = event.context.trigger?.title ?? 'security incident';
          await this.send(
            `email:ot-incident:${incidentId}:${zone}`,
            compose(
              to,
              `[Interlock] OT incident ${incidentId} in zone ${zone}: ${title}`,
              [
                `Incident ${incidentId} affects zone ${zone}, which you own or lead a shift for.`,
                `Alert: ${title}${event.context.trigger === undefined ? '' : ` (severity ${event.context.trigger.severity}, from ${event.context.trigger.source})`}.`,
                `Proposed action awaiting approval: ${describeActionLine(event.decision)}, on ${describeTarget(event.decision)} — ${event.decision.rule}. Approval ${event.approvalId} expires at ${event.expiresAt}; without a decision nothing is done.`,
              ],
              { ...links, approval: approvalLink(this.directory.publicUrl, event.approvalId) },
            ),
          );
        }
        return;
      }
      case 'approval.escalated':
        await this.toApprovers(
          event.decision,
          `email:approval.escalated:${event.approvalId}`,
          `[Interlock] Reminder: approval ${event.approvalId} is waiting for you`,
          [
            `The approval request ${event.approvalId} to ${describeActionLine(event.decision)}, on ${describeTarget(event.decision)}, has had no decision yet.`,
            `Why: ${event.decision.rule} — ${event.decision.reason}.`,
            `It expires at ${event.expiresAt}; after that the action is not taken. Decide in the console (link below) or in Slack.`,
          ],
          { ...links, approval: approvalLink(this.directory.publicUrl, event.approvalId) },
        );
        return;
      case 'approval.closed':
        if (event.status !== 'expired') return;
        await this.toApprovers(
          event.decision,
          `email:approval.expired:${event.approvalId}`,
          `[Interlock] Approval ${event.approvalId} expired: nothing was done`,
          [
            `The approval request ${event.approvalId} to ${describeActionLine(event.decision)}, on ${describeTarget(event.decision)}, expired without a decision.`,
            'Nothing was done (rule 8). The incident stays open for a manual follow-up.',
          ],
          links,
        );
        return;
      default:
        return;
    }
  }

  private async toApprovers(
    decision: PolicyDecision,
    key: string,
    subject: string,
    paragraphs: string[],
    links: { incident: string; audit: string; approval?: string },
  ): Promise<void> {
    const to = this.directory.emailsOf(this.directory.approversWith(decision.approval?.roles ?? []));
    if (to.length === 0) return;
    await this.send(key, compose(to, subject, paragraphs, links));
  }

  private send(key: string, message: EmailMessage): Promise<void> {
    return this.store.once(key, () => this.email.send(message));
  }
}
