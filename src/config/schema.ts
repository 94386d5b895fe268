import { z } from 'zod';
import { SEVERITIES } from '../alerts/alert';
import { ACTION_CATALOG, ACTION_TYPES } from '../actions/catalog';
import { DEFAULT_AUDIT_RETENTION_MS, MIN_AUDIT_RETENTION_MS } from '../audit/retention-policy';
import { durationSchema } from './duration';
import { CONNECTOR_MANIFESTS, connectorConfigShape } from '../../integrations/registry';

/**
 * The configuration file's shape (see interlock.example.yaml). Every key of the shared
 * reference document is accepted as is; unknown keys are rejected so typos surface at startup.
 */

export const CRITICALITIES = ['low', 'medium', 'high', 'safety'] as const;
/** temporal.maxCachedWorkflows: the memory math is in docs/operations.md#worker-and-api-memory. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;
export const ZONE_MODES = ['monitor', 'recommend', 'approve', 'auto'] as const;
export const ASSET_KINDS = [
  'workstation',
  'server',
  'laptop',
  'hmi',
  'ews',
  'historian',
  'plc',
  'rtu',
  'sis',
  'firewall',
  'switch',
  'router',
  'gateway',
  'jump-host',
  'sensor',
  'ied',
  'dcs',
  'scada-server',
  'other',
] as const;

const nonEmpty = z.string().min(1, 'must not be empty');

/** Shutdown limits: within Kubernetes' default 30 s termination grace period. */
const DEFAULT_SERVER_SHUTDOWN_TIMEOUT_MS = 25_000;
const DEFAULT_WORKER_SHUTDOWN_GRACE_MS = 20_000;
const DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS = 25_000;

const sourceSchema = z
  .strictObject({
    /** Vendor format of the body (splunk, elastic, …); defaults to the source's name. */
    format: nonEmpty.optional(),
    token: nonEmpty.optional(),
    hmacSecret: nonEmpty.optional(),
    /** Basic auth (user:password) for senders that can only do that. */
    basicAuth: z.strictObject({ username: nonEmpty, password: nonEmpty }).optional(),
    /** Correlation key fields (alert paths) — default: source + rule + primary entity. */
    correlationKey: z.array(nonEmpty).min(1).optional(),
  })
  .refine((s) => s.token !== undefined || s.hmacSecret !== undefined || s.basicAuth !== undefined, {
    message: 'a source needs a token, an hmacSecret or basicAuth: unauthenticated webhooks are refused',
  });

const operatorSchema = z.strictObject({
  id: nonEmpty.regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'),
  name: nonEmpty,
  roles: z.array(nonEmpty).min(1),
  apiKey: z.string().min(16, 'an API key needs at least 16 characters').optional(),
  slackUserId: nonEmpty.optional(),
  email: z.email().optional(),
});

const cidrSchema = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR such as 10.0.0.0/16');

/**
 * Rule 3 exception: an exact action on this zone, signed off by OT, that runs without a new
 * approval. Validated below: approvers are OT approvers; `dual: true` needs two of them.
 */
const preAuthorizedSchema = z.strictObject({
  action: z.enum(ACTION_TYPES),
  /** Operator ID(s) who pre-authorized it (OT approver role). */
  approvedBy: z.union([nonEmpty, z.array(nonEmpty).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v)),
  /** The change ticket that records the sign-off. */
  ticket: nonEmpty,
  /** Asset IDs it is limited to; omitted: any target in the zone. */
  targets: z.array(nonEmpty).optional(),
  /** The exact parameters; omitted: any parameters. */
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Also covers targets whose criticality needs dual approval (policy.dualApprovalFor): two approvers required. */
  dual: z.boolean().default(false),
  /** The pre-authorization lapses at this time. */
  until: z.iso.datetime({ offset: true }).optional(),
});

const FIREWALL_CONNECTORS: readonly string[] = CONNECTOR_MANIFESTS.filter((m) => m.capability === 'firewall').map(
  (m) => m.id,
);

/** Rule 6: where the engine may enforce a contain.source (never inline inside levels 0-2). */
const enforcementPointSchema = z.strictObject({
  id: nonEmpty,
  kind: z.literal('firewall'),
  /** A registered firewall connector (integrations/registry.ts), e.g. fortigate, panos. */
  integration: nonEmpty.refine((id) => FIREWALL_CONNECTORS.includes(id), {
    message: `must be a firewall connector (${FIREWALL_CONNECTORS.join(', ')})`,
  }),
  /** The firewall's partition: FortiGate VDOM, PAN-OS vsys; default: the connector's configured one. */
  vdom: nonEmpty.optional(),
  /** Zone IDs this point guards traffic into. */
  protects: z.array(nonEmpty).min(1),
  /** `it-dmz`: the IT side of the IT/OT DMZ (preferred); `conduit`: a zone conduit. */
  side: z.enum(['it-dmz', 'conduit']),
  /** The zone the device sits in, if listed: never a level 0-2 zone. */
  zone: nonEmpty.optional(),
});

/**
 * `audit.anchor`: every `every`, the Temporal Schedule `interlock-audit-anchor` appends the audit
 * chain head to `file` (JSON lines, fsynced) and/or sends it to `syslog` (RFC 5424).
 */
const anchorSchema = z
  .strictObject({
    every: durationSchema
      .refine((ms) => ms >= 60_000, { message: 'must be at least 1 minute (1m)' })
      .default(15 * 60_000),
    file: nonEmpty.optional(),
    syslog: z
      .strictObject({
        host: nonEmpty,
        port: z.number().int().min(1).max(65535).default(514),
        protocol: z.enum(['udp', 'tcp']).default('udp'),
      })
      .optional(),
  })
  .refine((anchor) => anchor.file !== undefined || anchor.syslog !== undefined, {
    message: 'names no target: set file and/or syslog',
  });

const zoneSchema = z.strictObject({
  id: nonEmpty,
  purdueLevel: z.number().min(0).max(5),
  mode: z.enum(ZONE_MODES),
  cidrs: z.array(cidrSchema).default([]),
  site: nonEmpty.optional(),
  owner: nonEmpty.optional(),
  shiftLead: nonEmpty.optional(),
  /** Change freeze: raises approval requirements while true. */
  changeFreeze: z.boolean().default(false),
  /** The EDR connector of this zone's hosts whose asset names none (e.g. defender-endpoint). */
  edr: nonEmpty.optional(),
  /** Rule 3 exception: the OT-signed pre-authorized catalog for this zone. */
  preAuthorized: z.array(preAuthorizedSchema).default([]),
});

const assetSchema = z.strictObject({
  id: nonEmpty,
  hostnames: z.array(nonEmpty).default([]),
  ips: z.array(nonEmpty).default([]),
  zone: nonEmpty,
  kind: z.enum(ASSET_KINDS),
  criticality: z.enum(CRITICALITIES),
  safetySystem: z.boolean().default(false),
  site: nonEmpty.optional(),
  owner: nonEmpty.optional(),
  /** EDR agent identifiers by product, e.g. { crowdstrike: <device id> }. */
  edr: z.record(z.string(), nonEmpty).default({}),
});

const maintenanceWindowSchema = z.strictObject({
  id: nonEmpty,
  zone: nonEmpty,
  assets: z.array(nonEmpty).default([]),
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  changeTicket: nonEmpty.optional(),
});

const policySchema = z.strictObject({
  approvalTtl: durationSchema.default(30 * 60_000),
  escalateAfter: durationSchema.default(10 * 60_000),
  dualApprovalFor: z.array(z.enum(CRITICALITIES)).default(['high', 'safety']),
  otApproverRoles: z.array(nonEmpty).min(1).default(['ot-engineer']),
  /** Who may approve a change to an IT zone that is not in auto mode. */
  itApproverRoles: z.array(nonEmpty).min(1).default(['soc-analyst', 'ot-engineer']),
  blastRadius: z
    .strictObject({ perRun: z.number().int().min(0).default(5), perHour: z.number().int().min(0).default(20) })
    .default({ perRun: 5, perHour: 20 }),
});

const keyIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - only, at most 64');

/** 32 bytes, base64: the value is never echoed in an error (it is a secret). */
const aesKeySchema = z
  .string()
  .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32, {
    message: 'must be 32 bytes in base64 (generate one with: openssl rand -base64 32)',
  });

/**
 * Payload encryption (AES-256-GCM) for what Interlock stores in Temporal. New payloads are
 * encrypted with `activeKeyId`; every listed key decrypts, so rotation is: add a key, make it
 * active, keep the old one listed until no history written with it is still needed.
 */
const encryptionSchema = z
  .strictObject({
    keys: z.array(z.strictObject({ id: keyIdSchema, key: aesKeySchema })).default([]),
    /** The key that encrypts; may be omitted when exactly one key is listed. */
    activeKeyId: keyIdSchema.optional(),
    /** Explicit opt-out: payloads are stored in clear (listed keys still decrypt old ones). */
    disabled: z.boolean().default(false),
  })
  .superRefine((encryption, ctx) => {
    const ids = new Set<string>();
    encryption.keys.forEach((key, i) => {
      if (ids.has(key.id))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate key id "${key.id}"` });
      ids.add(key.id);
    });
    if (encryption.activeKeyId !== undefined && !ids.has(encryption.activeKeyId))
      ctx.addIssue({ code: 'custom', path: ['activeKeyId'], message: `no key "${encryption.activeKeyId}" is listed` });
    if (encryption.disabled && encryption.activeKeyId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['activeKeyId'],
        message: 'disabled: true encrypts nothing; remove activeKeyId (listed keys still decrypt)',
      });
    if (!encryption.disabled && encryption.activeKeyId === undefined && encryption.keys.length > 1)
      ctx.addIssue({ code: 'custom', path: ['activeKeyId'], message: 'name the key that encrypts new payloads' });
  })
  .transform((encryption) => ({
    ...encryption,
    activeKeyId:
      encryption.activeKeyId ??
      (encryption.disabled || encryption.keys.length !== 1 ? undefined : encryption.keys[0]?.id),
  }));

const integrationsSchema = z.strictObject({
  /** Every registered connector's configuration (integrations/registry.ts); absent means off. */
  ...connectorConfigShape(),
  /**
   * Alert completion at intake: QRadar offenses carry address IDs, resolved through the QRadar
   * REST API (authorized service token, `SEC` header). `timeout` bounds the whole lookup of one
   * delivery, so a slow QRadar never holds up the webhook's answer.
   */
  qradar: z
    .strictObject({
      baseUrl: z.url(),
      token: nonEmpty,
      timeout: durationSchema.default(2_000),
      /** QRadar REST API version sent in the `Version` header. */
      apiVersion: z
        .string()
        .regex(/^\d+\.\d+$/, 'expected a QRadar API version such as "12.0"')
        .default('12.0'),
    })
    .optional(),
});

const slackSchema = z.strictObject({
  botToken: nonEmpty,
  signingSecret: nonEmpty,
  apiUrl: z.url().default('https://slack.com/api/'),
  channel: nonEmpty,
  /** Channel per zone or site ID (zone first); anything unmapped goes to `channel`. */
  channels: z.record(nonEmpty, nonEmpty).default({}),
});

const emailSchema = z.strictObject({
  smtp: z.strictObject({
    host: nonEmpty,
    port: z.coerce.number().int().min(1).max(65535),
    secure: z.boolean().default(false),
    user: nonEmpty.optional(),
    password: nonEmpty.optional(),
  }),
  from: nonEmpty,
});

/** Loopback hosts: the only ones an `http:` OIDC issuer may use (a test or a lab IdP on this machine). */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Sign-in to the responders' console with an OpenID Connect IdP (docs/console.md): authorization
 * code + PKCE. A signed-in user is the configured operator whose `id` or `email` equals the
 * `operatorClaim`; their roles are the IdP's mapped roles that the operator also holds here.
 */
const consoleOidcSchema = z
  .strictObject({
    /** The issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`. */
    issuer: z.url(),
    clientId: nonEmpty,
    /** Omitted: a public client (PKCE alone). */
    clientSecret: nonEmpty.optional(),
    /** Default: `<server.publicUrl>/console/oidc/callback`. */
    redirectUri: z.url().optional(),
    scopes: z.array(nonEmpty).default(['openid', 'profile', 'email']),
    /** The ID token claim holding groups or roles (a string or an array of strings). */
    roleClaim: nonEmpty.default('groups'),
    /** Claim value → Interlock roles. Values not listed grant nothing. */
    roleMap: z.record(z.string(), z.array(nonEmpty).min(1)).default({}),
    /** The ID token claim naming the operator: matched against `operators[].id`, then `operators[].email`. */
    operatorClaim: nonEmpty.default('preferred_username'),
  })
  .refine((o) => o.scopes.includes('openid'), { path: ['scopes'], message: 'scopes must include openid' })
  .refine((o) => new URL(o.issuer).protocol === 'https:' || LOOPBACK_HOSTS.includes(new URL(o.issuer).hostname), {
    path: ['issuer'],
    message: 'the issuer must be https (http only on a loopback address)',
  });

const consoleSchema = z
  .strictObject({
    session: z
      .strictObject({
        /** A session unused this long ends. */
        idleTimeout: durationSchema.default(30 * 60_000),
        /** A session ends this long after sign-in, used or not. */
        absoluteTimeout: durationSchema.default(12 * 3_600_000),
      })
      .default({ idleTimeout: 30 * 60_000, absoluteTimeout: 12 * 3_600_000 }),
    oidc: consoleOidcSchema.optional(),
  })
  .refine((c) => c.session.idleTimeout > 0 && c.session.idleTimeout <= c.session.absoluteTimeout, {
    path: ['session', 'idleTimeout'],
    message: 'idleTimeout must be positive and at most absoluteTimeout',
  });

/** The shortest `intake.rawBodies.retention` (the prune function refuses less too: migration 10). */
export const MIN_RAW_BODY_RETENTION_MS = 86_400_000;
const RAW_BODIES_DEFAULTS = { store: true, maxBytes: 262_144 };
/**
 * `intake.rawBodies`: each accepted webhook's raw body, stored by its SHA-256 before the 202,
 * encrypted with the active `temporal.encryption` key when there is one. Kept `retention`
 * after its last delivery (default and at most `audit.retention`).
 */
const rawBodiesSchema = z.strictObject({
  /** false: keep only the SHA-256 (in the audit trail), as before. */
  store: z.boolean().default(true),
  /** Bodies larger than this keep their first maxBytes bytes, marked truncated. */
  maxBytes: z.number().int().min(1_024).max(16_777_216).default(262_144),
  /** How long a body is kept after its last delivery; unset: `audit.retention`. */
  retention: durationSchema
    .refine((ms) => ms >= MIN_RAW_BODY_RETENTION_MS, { message: 'must be at least 1 day (1d)' })
    .optional(),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        port: z.coerce.number().int().min(0).max(65535).default(3000),
        host: nonEmpty.default('127.0.0.1'),
        publicUrl: z.url().default('http://localhost:3000'),
        /** Largest webhook body accepted, in bytes. */
        maxBodyBytes: z.number().int().min(1024).default(1_048_576),
        /**
         * After SIGTERM, the most time the API takes to answer the requests in flight and hand
         * their alerts to Temporal; beyond it the process exits 1 (docs/operations.md#shutdown).
         */
        shutdownTimeout: durationSchema
          .refine((ms) => ms >= 1_000, { message: 'must be at least 1s' })
          .default(DEFAULT_SERVER_SHUTDOWN_TIMEOUT_MS),
      })
      .default({
        port: 3000,
        host: '127.0.0.1',
        publicUrl: 'http://localhost:3000',
        maxBodyBytes: 1_048_576,
        shutdownTimeout: DEFAULT_SERVER_SHUTDOWN_TIMEOUT_MS,
      }),
    /** The worker process's shutdown (docs/operations.md#shutdown). */
    worker: z
      .strictObject({
        /** After SIGTERM, how long running activities may take to finish before they are cancelled (and retried elsewhere). */
        shutdownGraceTime: durationSchema.default(DEFAULT_WORKER_SHUTDOWN_GRACE_MS),
        /** After SIGTERM, the most time the worker takes to stop; beyond it the process exits 1. */
        shutdownTimeout: durationSchema
          .refine((ms) => ms >= 1_000, { message: 'must be at least 1s' })
          .default(DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS),
      })
      .refine((w) => w.shutdownGraceTime < w.shutdownTimeout, {
        path: ['shutdownGraceTime'],
        message: 'must be shorter than worker.shutdownTimeout (cancelled activities need time to report)',
      })
      .default({
        shutdownGraceTime: DEFAULT_WORKER_SHUTDOWN_GRACE_MS,
        shutdownTimeout: DEFAULT_WORKER_SHUTDOWN_TIMEOUT_MS,
      }),
    temporal: z
      .strictObject({
        address: z.string().default(''),
        namespace: nonEmpty.default('default'),
        taskQueue: nonEmpty.default('interlock'),
        /** Temporal Web UI base URL, for links from the incidents API and timeline page ('' = no links). */
        uiUrl: z.union([z.url(), z.literal('')]).default(''),
        /** Payload encryption; api and worker refuse to start without keys unless `disabled: true`. */
        encryption: encryptionSchema.default({ keys: [], disabled: false, activeKeyId: undefined }),
        /**
         * Incidents and playbook runs carry search attributes (zones, severity, status, sources,
         * unhandled, awaiting approval) so the Temporal UI filters them; registered at startup
         * where the server allows it (src/runtime/search-attributes.ts).
         */
        searchAttributes: z.boolean().default(true),
        /**
         * Incident workflows a worker keeps in memory between tasks (0: none). A run evicted
         * from the cache is replayed from its history when its next task comes (an approval,
         * an alert). Sized in docs/operations.md#worker-and-api-memory.
         */
        maxCachedWorkflows: z.number().int().min(0).max(100_000).default(DEFAULT_MAX_CACHED_WORKFLOWS),
      })
      .default({
        address: '',
        namespace: 'default',
        taskQueue: 'interlock',
        uiUrl: '',
        encryption: { keys: [], disabled: false, activeKeyId: undefined },
        searchAttributes: true,
        maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      }),
    database: z.strictObject({ url: z.string().default('') }).default({ url: '' }),
    audit: z
      .strictObject({
        /** How long audit records are kept before `interlock prune-audit` may remove them. */
        retention: durationSchema
          .refine((ms) => ms >= MIN_AUDIT_RETENTION_MS, {
            message: 'must be at least 90 days (90d): NERC CIP-007 R4 keeps security event logs 90 days',
          })
          .default(DEFAULT_AUDIT_RETENTION_MS),
        /**
         * When the worker's Temporal Schedule `interlock-audit-prune` removes records older than
         * the retention: daily at this UTC time (HH:MM), or `off`.
         */
        pruneAt: z
          .union([z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a UTC time HH:MM or off'), z.literal('off')])
          .default('03:00'),
        /** The chain head (seq, hash, time) written outside the database, so truncation is detected. */
        anchor: anchorSchema.optional(),
      })
      .default({ retention: DEFAULT_AUDIT_RETENTION_MS, pruneAt: '03:00' }),
    incidents: z
      .strictObject({
        /** An incident with no new alert and no running playbook for this long is closed. */
        closeAfterIdle: durationSchema.default(24 * 3_600_000),
        /** An incident run continues as new (state carried) after this many history events. */
        continueAsNewAfterEvents: z.number().int().min(100).max(40_000).default(5_000),
      })
      .default({ closeAfterIdle: 24 * 3_600_000, continueAsNewAfterEvents: 5_000 }),
    /** Webhook intake back-pressure and batching (per API process). */
    intake: z
      .strictObject({
        /** Alerts waiting for or in a Temporal call; beyond this, webhooks answer 429. */
        maxPendingAlerts: z.number().int().min(1).default(20_000),
        /** Most alert entries signalled to one incident in one Temporal call. */
        maxBatchAlerts: z.number().int().min(1).max(1_000).default(200),
        /** Temporal calls in flight at once (each carries one incident's batch). */
        maxConcurrentCalls: z.number().int().min(1).max(1_000).default(64),
        /** Most alerts one webhook delivery may carry (Elastic sends several); beyond it, 413 and nothing is signalled. */
        maxAlertsPerDelivery: z.number().int().min(1).max(10_000).default(100),
        /**
         * Copies (identical re-deliveries of alerts Temporal accepted moments ago) are recorded in
         * PostgreSQL's copy ledger and forwarded within about a second (src/api/webhooks/copy-ledger.ts);
         * false sends every delivery through Temporal.
         */
        copyLedger: z.boolean().default(true),
        /** Raw webhook bodies kept for the console and the evidence bundle (src/intake/raw-body-store.ts). */
        rawBodies: rawBodiesSchema.default(RAW_BODIES_DEFAULTS),
      })
      .default({
        maxPendingAlerts: 20_000,
        maxBatchAlerts: 200,
        maxConcurrentCalls: 64,
        maxAlertsPerDelivery: 100,
        copyLedger: true,
        rawBodies: RAW_BODIES_DEFAULTS,
      }),
    playbooks: z
      .strictObject({
        dir: nonEmpty.default('playbooks'),
        /**
         * A playbook with a step whose connector is not configured, and which the policy could run:
         * `refuse` (default) does not load it, naming the step; `warn` loads it and the step fails
         * cleanly when it runs (dev mode, which runs without integrations).
         */
        missingConnector: z.enum(['refuse', 'warn']).default('refuse'),
      })
      .default({ dir: 'playbooks', missingConnector: 'refuse' }),
    /** What happens to alerts no playbook handles. */
    triage: z
      .strictObject({
        /**
         * An alert at or above this severity that touches OT (an OT asset or zone, or an address
         * the inventory cannot place) and matches no playbook is recorded as `incident.unhandled`
         * and notified to the SOC channel and the zones' owners, once per incident.
         */
        unhandledMinSeverity: z.enum(SEVERITIES).default('medium'),
      })
      .default({ unhandledMinSeverity: 'medium' }),
    /** Prometheus metrics (docs/operations.md#metrics). */
    metrics: z
      .strictObject({
        /** GET /metrics on the API's port asks for an operator's credentials (false: open to any caller). */
        requireAuth: z.boolean().default(true),
        /** Also serve the API's metrics on this port, without credentials (unset: not served). */
        port: z.number().int().min(0).max(65535).optional(),
        /** The worker serves its metrics on this port (unset: the worker serves none). */
        workerPort: z.number().int().min(0).max(65535).optional(),
        /** Address the metrics ports listen on. */
        host: nonEmpty.default('127.0.0.1'),
      })
      .default({ requireAuth: true, host: '127.0.0.1' }),
    /** OpenTelemetry traces (docs/operations.md#traces): off unless an OTLP endpoint is configured. */
    telemetry: z
      .strictObject({
        tracing: z
          .strictObject({
            /**
             * OTLP/HTTP base URL (spans go to `<otlpEndpoint>/v1/traces`); unset: the standard
             * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT variables, else off.
             */
            otlpEndpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
            /** Headers sent with each export (e.g. a collector's token: use ${VAR}). */
            headers: z.record(z.string().min(1), z.string()).default({}),
            /** `service.name` of the spans; the process mode (api, worker, dev) is `service.instance.role`. */
            serviceName: nonEmpty.default('interlock'),
            /** Share of new traces (webhook deliveries) recorded, 0–1; the rest of a trace follows its root. */
            sampleRatio: z.number().min(0).max(1).default(1),
          })
          .optional(),
      })
      .default({}),
    sources: z.record(z.string().regex(/^[a-z0-9-]+$/), sourceSchema).default({}),
    operators: z.array(operatorSchema).default([]),
    zones: z.array(zoneSchema).default([]),
    assets: z.array(assetSchema).default([]),
    maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
    enforcementPoints: z.array(enforcementPointSchema).default([]),
    policy: policySchema.default({
      approvalTtl: 30 * 60_000,
      escalateAfter: 10 * 60_000,
      dualApprovalFor: ['high', 'safety'],
      otApproverRoles: ['ot-engineer'],
      itApproverRoles: ['soc-analyst', 'ot-engineer'],
      blastRadius: { perRun: 5, perHour: 20 },
    }),
    integrations: integrationsSchema.default({}),
    slack: slackSchema.optional(),
    email: emailSchema.optional(),
    /** The responders' console: sessions and sign-in (docs/console.md). */
    console: consoleSchema.default({ session: { idleTimeout: 30 * 60_000, absoluteTimeout: 12 * 3_600_000 } }),
  })
  .superRefine((config, ctx) => {
    const rawRetention = config.intake.rawBodies.retention;
    if (rawRetention !== undefined && rawRetention > config.audit.retention)
      ctx.addIssue({
        code: 'custom',
        path: ['intake', 'rawBodies', 'retention'],
        message: 'must not be longer than audit.retention (a raw body is evidence the audit trail refers to)',
      });
    const zoneIds = new Set(config.zones.map((z) => z.id));
    const operatorIds = new Set(config.operators.map((o) => o.id));
    config.assets.forEach((asset, i) => {
      if (!zoneIds.has(asset.zone))
        ctx.addIssue({ code: 'custom', path: ['assets', i, 'zone'], message: `unknown zone "${asset.zone}"` });
    });
    config.maintenanceWindows.forEach((w, i) => {
      if (!zoneIds.has(w.zone))
        ctx.addIssue({ code: 'custom', path: ['maintenanceWindows', i, 'zone'], message: `unknown zone "${w.zone}"` });
      if (Date.parse(w.end) <= Date.parse(w.start))
        ctx.addIssue({ code: 'custom', path: ['maintenanceWindows', i, 'end'], message: 'end must be after start' });
    });
    config.zones.forEach((zone, i) => {
      if (zone.mode === 'auto' && zone.purdueLevel < 4)
        ctx.addIssue({
          code: 'custom',
          path: ['zones', i, 'mode'],
          message: 'mode "auto" is for IT zones only (Purdue level 4-5)',
        });
      for (const key of ['owner', 'shiftLead'] as const) {
        const ref = zone[key];
        if (ref !== undefined && !operatorIds.has(ref))
          ctx.addIssue({ code: 'custom', path: ['zones', i, key], message: `unknown operator "${ref}"` });
      }
    });
    // A zone's default EDR names a registered EDR connector; when integrations are configured at
    // all (a deployment, not a dry run of playbooks), that connector must be one of them: the
    // zone's hosts would otherwise fail every containment at run time.
    const edrConnectors = CONNECTOR_MANIFESTS.filter((m) => m.capability === 'edr').map((m) => m.id);
    const integrations = config.integrations as Readonly<Record<string, unknown>>;
    const configuredEdr = edrConnectors.filter((id) => integrations[id] !== undefined);
    const anyIntegration = Object.values(integrations).some((value) => value !== undefined);
    config.zones.forEach((zone, i) => {
      if (zone.edr === undefined) return;
      if (!edrConnectors.includes(zone.edr))
        ctx.addIssue({
          code: 'custom',
          path: ['zones', i, 'edr'],
          message: `unknown EDR connector "${zone.edr}" (EDR connectors: ${edrConnectors.join(', ')})`,
        });
      else if (anyIntegration && !configuredEdr.includes(zone.edr))
        ctx.addIssue({
          code: 'custom',
          path: ['zones', i, 'edr'],
          message: `EDR connector "${zone.edr}" is not configured: add integrations.${zone.edr} (configured EDR connectors: ${configuredEdr.join(', ') || 'none'})`,
        });
    });
    config.zones.forEach((zone, i) =>
      zone.preAuthorized.forEach((entry, j) => {
        const path = ['zones', i, 'preAuthorized', j];
        const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, key], message });
        if (zone.purdueLevel >= 4) issue('action', 'pre-authorization is for OT zones (Purdue level 0-3.5)');
        if (!(ACTION_CATALOG[entry.action].allowedPurdueLevels as readonly number[]).includes(zone.purdueLevel))
          issue('action', `${entry.action} is never executed on Purdue level ${zone.purdueLevel} (rule 4)`);
        if (entry.action === 'firewall.extend_quarantine')
          issue('action', 'extending a time-boxed change needs a new approval (rule 10)');
        entry.approvedBy.forEach((id, k) => {
          const operator = config.operators.find((o) => o.id === id);
          if (operator === undefined)
            ctx.addIssue({ code: 'custom', path: [...path, 'approvedBy', k], message: `unknown operator "${id}"` });
          else if (!operator.roles.some((role) => config.policy.otApproverRoles.includes(role)))
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'approvedBy', k],
              message: `"${id}" holds no OT approver role (${config.policy.otApproverRoles.join(', ')})`,
            });
        });
        if (entry.dual && new Set(entry.approvedBy).size < 2)
          issue('approvedBy', 'dual: true needs two distinct approvers');
      }),
    );
    const pointIds = new Set<string>();
    config.enforcementPoints.forEach((point, i) => {
      const path = ['enforcementPoints', i];
      if (pointIds.has(point.id))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'id'],
          message: `duplicate enforcement point id "${point.id}"`,
        });
      pointIds.add(point.id);
      point.protects.forEach((id, k) => {
        if (!zoneIds.has(id))
          ctx.addIssue({ code: 'custom', path: [...path, 'protects', k], message: `unknown zone "${id}"` });
      });
      if (point.zone !== undefined) {
        const level = config.zones.find((z) => z.id === point.zone)?.purdueLevel;
        if (level === undefined)
          ctx.addIssue({ code: 'custom', path: [...path, 'zone'], message: `unknown zone "${point.zone}"` });
        else if (level < 3)
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'zone'],
            message: 'never inline inside levels 0-2 (rule 6): an enforcement point sits at level 3 or above',
          });
      }
    });
    const seen = new Map<string, number>();
    config.operators.forEach((op, i) => {
      if (seen.has(op.id))
        ctx.addIssue({ code: 'custom', path: ['operators', i, 'id'], message: `duplicate operator id "${op.id}"` });
      seen.set(op.id, i);
    });
    const keys = new Set<string>();
    config.operators.forEach((op, i) => {
      if (op.apiKey === undefined) return;
      if (keys.has(op.apiKey))
        ctx.addIssue({
          code: 'custom',
          path: ['operators', i, 'apiKey'],
          message: 'API keys must be unique per operator',
        });
      keys.add(op.apiKey);
    });
  });

export type InterlockConfig = z.output<typeof configSchema>;
export type OperatorConfig = InterlockConfig['operators'][number];
export type ZoneConfig = InterlockConfig['zones'][number];
export type AssetConfig = InterlockConfig['assets'][number];
export type MaintenanceWindowConfig = InterlockConfig['maintenanceWindows'][number];
export type Criticality = (typeof CRITICALITIES)[number];
export type ZoneMode = (typeof ZONE_MODES)[number];
export type PreAuthorizedAction = ZoneConfig['preAuthorized'][number];
export type ConsoleConfig = InterlockConfig['console'];
export type ConsoleOidcConfig = NonNullable<ConsoleConfig['oidc']>;
export type EnforcementPointConfig = InterlockConfig['enforcementPoints'][number];
