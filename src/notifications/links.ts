import type { Alert } from '../alerts/alert';
import type { InterlockConfig, OperatorConfig } from '../config/schema';
import { Inventory } from '../policy/inventory';

/** Operators with this role are told about safety-system refusals and fail-safe alarms (rules 5, 9). */
export const SAFETY_OWNER_ROLE = 'safety-owner';

/**
 * Links for people open console pages, which a browser can show (sign-in first, then back to
 * the page); the API routes answer 401 without an API key. The audit trail is a section of
 * the incident page.
 */
export function incidentLinks(publicUrl: string, incidentId: string): { incident: string; audit: string } {
  const base = publicUrl.replace(/\/+$/, '');
  const id = encodeURIComponent(incidentId);
  return { incident: `${base}/console/incidents/${id}`, audit: `${base}/console/incidents/${id}#audit` };
}

/** The console page of one approval: what is asked, and the Approve / Reject buttons. */
export function approvalLink(publicUrl: string, approvalId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/console/approvals/${encodeURIComponent(approvalId)}`;
}

/** Who is who, from the configuration: names, mail addresses, zone owners and channels. */
export class Directory {
  readonly publicUrl: string;
  private readonly operators: Map<string, OperatorConfig>;
  private readonly inventory: Inventory;

  constructor(private readonly config: InterlockConfig) {
    this.publicUrl = config.server.publicUrl;
    this.operators = new Map(config.operators.map((op) => [op.id, op]));
    this.inventory = new Inventory(config);
  }

  nameOf(operatorId: string): string {
    return this.operators.get(operatorId)?.name ?? operatorId;
  }

  /** Mail addresses of these operators (those that have one), without duplicates. */
  emailsOf(operatorIds: Iterable<string>): string[] {
    const emails = new Set<string>();
    for (const id of operatorIds) {
      const email = this.operators.get(id)?.email;
      if (email !== undefined) emails.add(email);
    }
    return [...emails];
  }

  /** Slack mentions (`<@U…>`) of these operators, or their names when they have no Slack user. */
  slackMentionsOf(operatorIds: Iterable<string>): string[] {
    return [...new Set(operatorIds)].map((id) => {
      const user = this.operators.get(id)?.slackUserId;
      return user === undefined ? this.nameOf(id) : `<@${user}>`;
    });
  }

  /** Operators holding any of these roles: the people who can decide an approval. */
  approversWith(roles: readonly string[]): string[] {
    return this.config.operators.filter((op) => op.roles.some((r) => roles.includes(r))).map((op) => op.id);
  }

  /** The zone's owner and shift lead (rule 15: OT incidents are routed to the plant). */
  plantContactsOf(zoneId: string): string[] {
    const zone = this.config.zones.find((z) => z.id === zoneId);
    return [zone?.owner, zone?.shiftLead].filter((id): id is string => id !== undefined);
  }

  /**
   * Who is alerted when people must act (rules 5 and 9): the OT approvers, the safety owners
   * and the SOC (the IT approver roles).
   */
  alertAudience(): string[] {
    const roles = new Set([
      ...this.config.policy.otApproverRoles,
      ...this.config.policy.itApproverRoles,
      SAFETY_OWNER_ROLE,
    ]);
    return this.config.operators.filter((op) => op.roles.some((r) => roles.has(r))).map((op) => op.id);
  }

  /** The OT zones the alert's hosts and addresses resolve to in the inventory (rule 1), in order. */
  otZonesOfAlert(alert: Alert): string[] {
    const refs = [
      ...[...alert.hosts, alert.src, alert.dst].flatMap((endpoint) => [endpoint?.hostname, endpoint?.ip]),
      ...alert.ips,
    ].filter((ref): ref is string => ref !== undefined && ref.trim() !== '');
    const zones = new Set<string>();
    for (const ref of refs) {
      const target = this.inventory.resolve(ref);
      if (target.domain === 'ot' && target.zone !== undefined) zones.add(target.zone);
    }
    return [...zones];
  }

  /** The Slack channel for a zone: mapped by zone, then by the zone's site, else the default. */
  slackChannelFor(zoneId: string | undefined): string {
    const slack = this.config.slack;
    if (slack === undefined) throw new Error('slack is not configured');
    if (zoneId === undefined) return slack.channel;
    const site = this.config.zones.find((z) => z.id === zoneId)?.site;
    return slack.channels[zoneId] ?? (site === undefined ? undefined : slack.channels[site]) ?? slack.channel;
  }
}
