import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { alertSchema } from '../alerts/alert';
import { VENDOR_FORMATS } from '../intake/normalizers';
import { APPROVAL_STATUSES } from '../approvals/approval-store';
import { CASE_STATUSES } from '../cases/case-state';
import { openApiSchema } from './common/openapi-schema';
import { SECURITY_SCHEMES, WEBHOOK_SECURITY } from './common/openapi-security';

type Operation = NonNullable<OpenAPIObject['paths'][string]['post']>;
type Responses = Operation['responses'];

const ERROR_REF = { $ref: '#/components/schemas/Error' };

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['status', 'code', 'message'],
      properties: {
        status: { type: 'integer', example: 400 },
        code: { type: 'string', example: 'invalid_alert' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          description: 'Field-level problems, with the path of each field.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string', example: 'result.search_name' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

const accepted = {
  type: 'object',
  required: ['incidentId', 'workflowId', 'deduplicated'],
  properties: {
    incidentId: { type: 'string', example: 'inc-3f1a9c0d2b7e4a5f6c8d9e0a' },
    workflowId: { type: 'string' },
    deduplicated: { type: 'boolean', description: 'true when the alert joined an open incident' },
  },
};

function error(description: string, retryAfter = false): Responses[string] {
  return {
    description,
    content: { 'application/json': { schema: ERROR_REF } },
    ...(retryAfter
      ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } } }
      : {}),
  };
}

const COMMON_ERRORS: Responses = {
  '400': error('invalid request: `issues[].path` names each field'),
  '401': error('missing or invalid credentials'),
  '503': error(
    '`unavailable`: PostgreSQL (or Temporal) cannot be reached right now; or `shutting_down`: this API process is draining after SIGTERM; retry',
    true,
  ),
};

/** What every route but the probes and /metrics answers while the process drains (src/api/shutdown.ts). */
const SHUTTING_DOWN = error(
  '`shutting_down`: this API process is draining after SIGTERM; retry (another replica answers)',
  true,
);

const WEBHOOK_RESPONSES: Responses = {
  '202': {
    description: 'accepted: Temporal has durably recorded every alert of the delivery',
    content: {
      'application/json': {
        schema: {
          ...accepted,
          properties: {
            ...accepted.properties,
            alerts: {
              type: 'array',
              description: 'one entry per alert when a delivery carried several (Elastic)',
              items: { ...accepted, properties: { ...accepted.properties, alertUid: { type: 'string' } } },
            },
          },
        },
      },
    },
  },
  '400': error('`malformed_json`, `empty_body`, `no_alerts`, or `invalid_alert` with `issues[].path`'),
  '401': error(
    'missing or wrong credentials (bearer, `?token=`, HMAC signature or basic auth); every credential presented must verify, also one for a method the source does not enable',
  ),
  '404': error('no such source configured'),
  '413': error(
    '`payload_too_large`: body larger than `server.maxBodyBytes`; `too_many_alerts`: the delivery carries more than `intake.maxAlertsPerDelivery` alerts (default 100) — nothing was accepted',
  ),
  '415': error('not `application/json`, a `charset` other than utf-8, or an unsupported content encoding'),
  '429': error('back-pressure: too many alerts in flight in this API process; nothing was accepted', true),
  '503': error(
    '`unavailable`: Temporal did not accept the alert, or `shutting_down`: this API process is draining after SIGTERM; nothing was acknowledged, retry',
    true,
  ),
};

/**
 * `POST /webhooks/{source}`: a Fastify handler, not a controller (src/api/webhooks/webhook-route.ts),
 * so described here; describeApi adds its description, body and responses as before.
 */
function webhookPath(): OpenAPIObject['paths'][string] {
  return {
    post: {
      // The ID it had as a controller method: clients generated from earlier documents keep working.
      operationId: 'WebhooksController_receive',
      parameters: [{ name: 'source', required: true, in: 'path', schema: { type: 'string' } }],
      responses: {},
      security: [...WEBHOOK_SECURITY],
      summary: 'Receive a SIEM or OT-sensor alert',
    },
  };
}

const WEBHOOK_DESCRIPTION = `Receives one vendor delivery, authenticates it (\`Authorization: Bearer\`, \`?token=\` for
Splunk, \`X-Interlock-Signature: sha256=<hex HMAC of the raw body>\`, or basic auth, per source),
normalizes it to the alert shape and hands it to its incident (correlation key → incident ID).
Concurrent deliveries for one incident are batched into one Temporal call.
Formats: ${Object.keys(VENDOR_FORMATS).join(', ')}.`;

function vendorBodySchemas(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [name, format] of Object.entries(VENDOR_FORMATS)) {
    try {
      schemas[`${name}-body`] = openApiSchema(format.bodySchema, { unrepresentable: 'any' });
    } catch {
      schemas[`${name}-body`] = { type: 'object', description: `${format.product} webhook body` };
    }
  }
  return schemas;
}

const HEALTH_CHECKS = {
  type: 'object',
  required: ['database', 'temporal'],
  properties: {
    database: { type: 'string', enum: ['up', 'down'] },
    temporal: { type: 'string', enum: ['up', 'down'] },
  },
};

const HEALTH_SCHEMA = {
  type: 'object',
  required: ['status', 'checks'],
  properties: { status: { type: 'string', enum: ['up', 'down'] }, checks: HEALTH_CHECKS },
};

const READINESS_SCHEMA = {
  type: 'object',
  required: ['status', 'draining', 'checks'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    draining: { type: 'boolean', description: 'true from SIGTERM on: the process finishes its work and takes no more' },
    checks: HEALTH_CHECKS,
  },
};

const LIVENESS_SCHEMA = {
  type: 'object',
  required: ['status', 'uptimeSeconds'],
  properties: { status: { type: 'string', enum: ['up'] }, uptimeSeconds: { type: 'integer', minimum: 0 } },
};

/** Why a playbook matches an alert or not (src/playbooks/explain.ts). */
const PLAYBOOK_MATCH = {
  type: 'object',
  required: ['playbookId', 'matched', 'triggers'],
  properties: {
    playbookId: { type: 'string' },
    matched: { type: 'boolean' },
    triggers: {
      type: 'array',
      description: 'every trigger when the playbook did not match; the matching one when it did',
      items: {
        type: 'object',
        required: ['trigger', 'matched'],
        properties: {
          trigger: { type: 'integer', description: "index in the playbook's triggers" },
          matched: { type: 'boolean' },
          failed: {
            type: 'object',
            required: ['filter', 'condition', 'values'],
            properties: {
              filter: { type: 'string', enum: ['sources', 'minSeverity', 'when'] },
              condition: {
                type: 'string',
                description: 'the filter as written, or the first false `&&` part of `when`',
              },
              values: {
                type: 'object',
                description: 'the alert and asset fields it reads, with their values (null: absent)',
              },
              error: { type: 'string', description: 'set when the condition could not be evaluated' },
            },
          },
        },
      },
    },
  },
};

const DRY_RUN_RESULT = {
  type: 'object',
  required: ['playbook', 'alert', 'triggerMatches', 'match', 'playbooks', 'sideEffects', 'incidentId', 'steps'],
  properties: {
    playbook: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'integer' } } },
    alert: {
      ...(openApiSchema(
        alertSchema.pick({
          uid: true,
          title: true,
          severity: true,
          network: true,
          ot: true,
          attacks: true,
          category: true,
          provenance: true,
        }),
        { unrepresentable: 'any' },
      ) as object),
      description: "the normalized alert's identity and meaning fields, with their provenance (docs/alerts.md)",
    },
    triggerMatches: { type: 'boolean' },
    match: { $ref: '#/components/schemas/PlaybookMatch' },
    playbooks: { type: 'array', items: { $ref: '#/components/schemas/PlaybookMatch' } },
    sideEffects: { type: 'string', enum: ['none'] },
    incidentId: { type: 'string' },
    steps: { type: 'array', items: { type: 'object' } },
  },
};

const VOTE = {
  type: 'object',
  required: ['operatorId', 'roles', 'decision', 'at', 'channel'],
  properties: {
    operatorId: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    decision: { type: 'string', enum: ['approve', 'reject'] },
    at: { type: 'string', format: 'date-time' },
    channel: { type: 'string', enum: ['api', 'slack', 'cli', 'console'] },
    reason: { type: 'string' },
  },
};

function describeApprovalList(responses: Responses): void {
  responses['200'] = {
    description: 'approval requests, oldest first; `decisions` lists every vote given so far, also while pending',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['approvals'],
          properties: {
            approvals: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  incidentId: { type: 'string' },
                  status: { type: 'string', enum: [...APPROVAL_STATUSES] },
                  requiredApprovals: { type: 'integer' },
                  requiredRoles: { type: 'array', items: { type: 'string' } },
                  actionDigest: { type: 'string' },
                  enforcementPoint: {
                    type: 'string',
                    description: 'where the action is enforced, e.g. `fortigate:root@fw-dmz` (`none`: nowhere)',
                  },
                  description: {
                    type: 'object',
                    description: 'the action in words for people, and its technical form beside it',
                    properties: {
                      text: {
                        type: 'string',
                        example: 'block 10.10.8.23 at the Fortinet FortiGate fw-dmz that protects rtu-3',
                      },
                      technical: {
                        type: 'string',
                        example: 'contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-dmz',
                      },
                    },
                  },
                  expiresAt: { type: 'string', format: 'date-time' },
                  decidedAt: { type: ['string', 'null'], format: 'date-time' },
                  decisions: { type: 'array', items: VOTE },
                },
              },
            },
            nextCursor: { type: 'string', description: 'present when more approvals match: pass it as `cursor`' },
          },
        },
      },
    },
  };
  responses['400'] = error('`invalid_request`: a bad `status`, `limit` or `cursor` (or an unknown parameter)');
}

function describeDecision(responses: Responses): void {
  responses['200'] = {
    description: 'the decision was accepted',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['approvalId', 'status', 'approvalsRemaining'],
          properties: {
            approvalId: { type: 'string' },
            status: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
            approvalsRemaining: { type: 'integer' },
          },
        },
      },
    },
  };
  responses['403'] = error('`approver_not_authorized` or `self_approval`');
  responses['404'] = error('`approval_not_found`');
  responses['409'] = error(
    '`duplicate_approver`, `approval_already_decided` (approved or rejected) or `action_changed`',
  );
  responses['410'] = error(
    '`approval_expired`, or `approval_closed`: cancelled, or the run waiting for it ended without an outcome',
  );
  responses['422'] = error(
    '`break_glass_refused` (break-glass without a sufficient justification), or `idempotency_key_reused` ' +
      '(the Idempotency-Key was used for a different request)',
  );
}

const CASE_VIEW = {
  type: 'object',
  description:
    'the case, derived from the audit trail: what people set (status, assignee, tags, comments) and, apart from it, the measured times',
  properties: {
    status: { type: 'string', enum: [...CASE_STATUSES] },
    assignee: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    comments: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          seq: { type: 'integer' },
          time: { type: 'string', format: 'date-time' },
          author: { type: 'string' },
          text: { type: 'string' },
        },
      },
    },
    statusChangedAt: { type: ['string', 'null'], format: 'date-time' },
    timeToAcknowledgeMs: {
      type: ['integer', 'null'],
      description: 'first human action (case change, comment, approval vote) after the incident opened',
    },
    acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
    acknowledgedBy: { type: ['string', 'null'] },
    timeToContainMs: {
      type: ['integer', 'null'],
      description: 'first executed containment action (catalog `containment: true`) after the incident opened',
    },
    containedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

function describeCaseWork(path: string, responses: Responses): void {
  if (path.endsWith('/case')) {
    responses['200'] = {
      description:
        '`changed: false` when the case already was as asked (nothing recorded), else the `case.updated` record’s `seq`',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['incidentId', 'changed', 'case'],
            properties: {
              incidentId: { type: 'string' },
              changed: { type: 'boolean' },
              seq: { type: 'integer' },
              case: CASE_VIEW,
            },
          },
        },
      },
    };
    responses['400'] = error('invalid request (`issues[].path` names each field), e.g. `assignee`: no such operator');
    responses['409'] = error('`case_change_refused`: a status move the rules refuse (e.g. closed → contained)');
  } else {
    delete responses['200'];
    responses['201'] = {
      description: 'the comment was recorded (`case.commented`)',
      content: {
        'application/json': {
          schema: { type: 'object', properties: { comment: CASE_VIEW.properties.comments.items, case: CASE_VIEW } },
        },
      },
    };
    responses['422'] = error('`idempotency_key_reused`: the Idempotency-Key was used for another comment');
  }
}

/** The codec endpoint (Temporal CLI and Web UI): see codec.controller.ts. */
function describeCodec(path: string, responses: Responses): void {
  if (path === '/codec/link') return;
  responses['400'] = error('`invalid_request`, or `undecodable_payload`: unknown key ID, altered or truncated payload');
  delete responses['201'];
  responses['503'] = SHUTTING_DOWN;
  if (path.includes('{op}')) responses['401'] = error('invalid or expired link');
}

/** Adds what decorators do not say: the error shape, every refusal, webhook bodies, auth. */
export function describeApi(document: OpenAPIObject): OpenAPIObject {
  const bodies = vendorBodySchemas();
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      Error: errorSchema,
      PlaybookMatch: PLAYBOOK_MATCH,
      ...(bodies as Record<string, object>),
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (operation === undefined) continue;
      if (path.startsWith('/webhooks/')) {
        operation.description = WEBHOOK_DESCRIPTION;
        operation.tags = ['webhooks'];
        operation.requestBody = {
          required: true,
          description: 'the format of the source named in the path',
          content: {
            'application/json': {
              // anyOf, not oneOf: the formats overlap; the source's normalizer decides which applies.
              schema: { anyOf: Object.keys(bodies).map((k) => ({ $ref: `#/components/schemas/${k}` })) },
            },
          },
        };
        operation.responses = { ...WEBHOOK_RESPONSES };
        continue;
      }
      const tag = path.split('/')[1] ?? 'api';
      operation.tags = operation.tags?.length ? operation.tags : [tag];
      const responses: Responses = { ...operation.responses, ...COMMON_ERRORS };
      if (path.includes('{id}')) responses['404'] = error('not found');
      if (path.startsWith('/slack/')) {
        responses['401'] = error('bad or stale Slack signature, or a replayed request');
        operation.requestBody = {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['payload'],
                properties: { payload: { type: 'string', description: "Slack's interaction payload (JSON)" } },
              },
            },
          },
        };
        responses['200'] = { description: 'the decision was recorded (or refused in the Slack message)' };
        operation.responses = responses;
        continue;
      }
      if (path.startsWith('/codec/')) describeCodec(path, responses);
      if (path === '/metrics') {
        delete responses['400'];
        delete responses['503'];
        responses['200'] = {
          description:
            "This API process's metrics in the Prometheus text exposition format: webhook deliveries received, accepted, deduplicated and refused (`interlock_webhook_deliveries_*_total{source[,code]}`), pending approvals by zone and the oldest one's age, PostgreSQL and Temporal health (`interlock_postgres_up`, `interlock_temporal_up`), Slack requests refused before authentication. Needs an operator API key unless `metrics.requireAuth` is false. The worker's metrics (actions, latencies, approvals, audit, notifications) are served on `metrics.workerPort`; every metric is listed in docs/operations.md#metrics",
          content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
        };
      }
      if (path.startsWith('/health')) {
        delete responses['400'];
        delete responses['401'];
        if (path === '/health/live') {
          // Never checks dependencies: a PostgreSQL blip must not restart every pod.
          delete responses['503'];
          responses['200'] = {
            description: 'the process runs and its event loop answers (never checks PostgreSQL or Temporal)',
            content: { 'application/json': { schema: LIVENESS_SCHEMA } },
          };
        } else {
          const health = { 'application/json': { schema: path === '/health' ? HEALTH_SCHEMA : READINESS_SCHEMA } };
          responses['200'] = {
            description: 'PostgreSQL and Temporal answer and the process is not shutting down',
            content: health,
          };
          responses['503'] = {
            description: 'PostgreSQL or Temporal does not answer, or the process is shutting down (draining)',
            content: health,
          };
        }
        responses['4XX'] = error(
          'refused before routing: `431 headers_too_large`, `400 bad_request`, `400 bad_url`, `414 uri_too_long`',
        );
      }
      if (path === '/ui/incidents/{id}') {
        responses['200'] = {
          description: 'the timeline page',
          content: { 'text/html': { schema: { type: 'string' } } },
        };
        responses['401'] = error('neither an operator API key nor a valid, unexpired signed link');
      }
      if (method === 'post' || method === 'patch') {
        // Operator JSON bodies (body-parsers.ts).
        responses['400'] = error(
          'invalid request (`issues[].path` names each field), `malformed_json`, or `too_deeply_nested` (more than 65 levels)',
        );
        responses['413'] = error('`payload_too_large`: body larger than 64 KiB');
        responses['415'] = error('a `charset` other than utf-8, or an unsupported content encoding');
      }
      if (path === '/playbooks/{id}/dry-run')
        responses['200'] = {
          description: 'what the real run would do, with zero side effects, and why each playbook matches or not',
          content: { 'application/json': { schema: DRY_RUN_RESULT } },
        };
      if (path === '/playbooks/validate')
        responses['422'] = error(
          '`yaml_limit_exceeded`: the YAML exceeds a parser limit (50 alias expansions, 64 levels of nesting); `issues[0].path` is `yaml`',
        );
      if (path === '/incidents' && method === 'get')
        responses['400'] = error(
          'invalid query (`issues[].path` names the parameter): e.g. `from`/`to` not an RFC 3339 date-time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, or a control character in `zone`/`source`',
        );
      if (path === '/approvals' && method === 'get') describeApprovalList(responses);
      if (path === '/incidents/{id}/case' || path === '/incidents/{id}/comments') describeCaseWork(path, responses);
      if (path.startsWith('/approvals/') && method === 'post') describeDecision(responses);
      operation.responses = responses;
    }
  }
  return document;
}

/** Serves the OpenAPI description: the UI at GET /docs, the JSON at GET /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  const builder = new DocumentBuilder()
    .setTitle('Interlock')
    .setDescription(
      'SOAR playbook automation for IT/OT security operations. Every error is JSON: `{"error": {status, code, message, issues?}}`, also for requests refused before routing (`431 headers_too_large`, `400 bad_request` for a malformed request, `400 bad_url`, `414 uri_too_long` for a path parameter over 100 characters).',
    )
    .setVersion('0.1.0')
    // 3.1: its schema dialect is JSON Schema 2020-12, what z.toJSONSchema emits.
    .setOpenAPIVersion('3.1.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    // Relative: the document is served by the API it describes.
    .addServer('/');
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) builder.addSecurity(name, scheme);
  // Each operation's security comes from its controller (openapi-security.ts).
  const generated = SwaggerModule.createDocument(app, builder.build());
  const document = describeApi({ ...generated, paths: { '/webhooks/{source}': webhookPath(), ...generated.paths } });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
