/**
 * Microsoft Sentinel incident as forwarded by a Logic App (the incident trigger's
 * `triggerBody()`): { eventUniqueId, objectEventType, object: { id, name, properties } }.
 * Severity Informational|Low|Medium|High. Entities are in
 * object.properties.relatedEntities[] with `kind` Host / Ip / Account / …; other kinds are
 * ignored. The incident name (a GUID) is the uid, so a Create and later Updates of one
 * incident correlate together.
 */
import { z } from 'zod';
import type { Alert, Endpoint, Severity } from '../../alerts/alert';
import {
  endpoint,
  fallbackUid,
  finishAlert,
  parseBody,
  severityFromWord,
  toIsoUtc,
  vendorTimeString,
  type NormalizeContext,
} from './common';

export const PRODUCT = 'Microsoft Sentinel';

const entity = z.object({
  kind: z.string(),
  properties: z.record(z.string(), z.unknown()).default({}),
});

export const bodySchema = z.object({
  eventUniqueId: z.string().optional(),
  objectEventType: z.string().optional(),
  object: z.object({
    id: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    properties: z.object({
      title: z.string().min(1),
      severity: z.string(),
      incidentNumber: z.number().optional(),
      createdTimeUtc: vendorTimeString.optional(),
      firstActivityTimeUtc: vendorTimeString.optional(),
      providerName: z.string().optional(),
      relatedAnalyticRuleIds: z.array(z.string()).default([]),
      relatedEntities: z.array(entity).default([]),
    }),
  }),
});

export type SentinelIncidentBody = z.input<typeof bodySchema>;

const SEVERITY_WORDS: Record<string, Severity> = {
  informational: 'informational',
  low: 'low',
  medium: 'medium',
  high: 'high',
};

export function normalize(body: unknown, ctx: NormalizeContext): Alert[] {
  const b = parseBody(bodySchema, body, ctx.source);
  const p = b.object.properties;
  const hosts: Endpoint[] = [];
  const ips: string[] = [];
  const users: string[] = [];
  for (const e of p.relatedEntities) {
    const props = e.properties;
    switch (e.kind.toLowerCase()) {
      case 'host': {
        const h = endpoint(text(props.hostName) ?? text(props.netBiosName) ?? text(props.fqdn), undefined);
        if (h !== undefined) hosts.push(h);
        break;
      }
      case 'ip': {
        const address = text(props.address);
        if (address !== undefined) ips.push(address);
        break;
      }
      case 'account': {
        const name = text(props.accountName) ?? text(props.userPrincipalName) ?? text(props.displayName);
        if (name !== undefined) users.push(name);
        break;
      }
      default:
        break;
    }
  }
  // When the incident names no host, its IP entities are the hosts it is about.
  if (hosts.length === 0) hosts.push(...ips.map((ip) => ({ ip })));

  return [
    finishAlert(
      {
        uid: b.object.name ?? b.object.id ?? fallbackUid(ctx),
        time: toIsoUtc(p.firstActivityTimeUtc) ?? toIsoUtc(p.createdTimeUtc),
        title: p.title,
        severity: severityFromWord(p.severity, SEVERITY_WORDS),
        vendorSeverity: p.severity,
        rule: { uid: p.relatedAnalyticRuleIds[0] },
        hosts,
        ips,
        users,
        product: PRODUCT,
      },
      ctx,
    ),
  ];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
