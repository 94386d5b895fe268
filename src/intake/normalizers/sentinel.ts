/**
 * Microsoft Sentinel incident as forwarded by a Logic App (the incident trigger's
 * `triggerBody()`): { eventUniqueId, objectEventType, object: { id, name, properties } }.
 * Severity Informational|Low|Medium|High. Entities are in
 * object.properties.relatedEntities[] with `kind` Host / Ip / Account / …; other kinds are
 * ignored. The incident name (a GUID) is the uid, so a Create and later Updates of one
 * incident correlate together.
 *
 * Meaning fields (Microsoft.SecurityInsights incident schema, IncidentAdditionalData in the
 * Azure SDK reference): `properties.additionalData.tactics` (ATT&CK tactic names in Sentinel's
 * PascalCase: "LateralMovement", "ImpairProcessControl", "InhibitResponseFunction"),
 * `additionalData.techniques` (technique IDs, "T1021" or "T1021.002") and `alertProductNames`;
 * the incident's alerts (`properties.alerts[]`, SecurityAlert: `properties.tactics`,
 * `properties.techniques`, `alertDisplayName`, `description`) when the Logic App includes them;
 * `properties.labels[]` ({labelName, labelType}) and `description` as words. Sentinel lists
 * tactics for the whole incident, not per technique, so they are not attached to techniques.
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
import type { SemanticsDraft } from './semantics';
import { attackRefs, categoryFromTechniquesAndTactics, words } from './vendor-attacks';

export const PRODUCT = 'Microsoft Sentinel';

const stringList = z.array(z.string()).default([]);

const securityAlert = z.object({
  properties: z
    .object({
      alertDisplayName: z.string().optional(),
      description: z.string().optional(),
      productName: z.string().optional(),
      tactics: stringList,
      techniques: stringList,
    })
    .optional(),
});

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
      description: z.string().optional(),
      additionalData: z
        .object({ tactics: stringList, techniques: stringList, alertProductNames: stringList })
        .optional(),
      alerts: z.array(securityAlert).default([]),
      labels: z.array(z.object({ labelName: z.string(), labelType: z.string().optional() })).default([]),
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
        semantics: sentinelSemantics(p),
      },
      ctx,
    ),
  ];
}

type IncidentProperties = z.output<typeof bodySchema>['object']['properties'];

/** Tactics, techniques and words of the incident and its alerts (see the module comment). */
function sentinelSemantics(p: IncidentProperties): SemanticsDraft {
  const alerts = p.alerts.map((a) => a.properties).filter((a) => a !== undefined);
  const tactics = words(p.additionalData?.tactics, ...alerts.map((a) => a.tactics));
  const techniques = words(p.additionalData?.techniques, ...alerts.map((a) => a.techniques));
  // The incident's tactics belong to its technique when it names one; with several, which is whose is unsaid.
  const attacks = attackRefs(techniques, [], techniques.length === 1 ? tactics : []);
  const category = categoryFromTechniquesAndTactics(attacks, tactics);
  return {
    attacks,
    category,
    provenance: category === undefined ? {} : { category: 'attacks' },
    text: [
      p.description,
      ...alerts.flatMap((a) => [a.alertDisplayName, a.description]),
      ...p.labels.map((l) => l.labelName),
      ...words(p.additionalData?.alertProductNames, ...alerts.map((a) => a.productName)),
    ],
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
