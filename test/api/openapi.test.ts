/**
 * The OpenAPI document exactly as GET /docs-json serves it (the real Nest app, started
 * in-process with createApiApp), checked by Redocly's linter with its `recommended` ruleset —
 * the engine of `redocly lint` — and rendered by Swagger UI at GET /docs in headless Chromium.
 * Neither PostgreSQL nor Temporal is called: the document does not depend on them.
 */
import type { INestApplication } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { chromium } from 'playwright-core';
import { createApiApp } from '../../src/api/create-app';
import { parseConfig } from '../../src/config/load';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logging';
import { servicesOn } from '../../src/runtime/services';

type Operation = {
  summary?: string;
  requestBody?: { required?: boolean };
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string }>; schemas: Record<string, unknown> };
};

const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
// A pool that is never queried: building the document touches no database.
const pool = createPool('postgres://127.0.0.1:5432/interlock_openapi_never_queried');
let connection: Connection;
let app: INestApplication;
let baseUrl: string;
let served: string;
let doc: Document;

beforeAll(async () => {
  const config = parseConfig(
    JSON.stringify({
      server: { port: 0 },
      temporal: { address, taskQueue: 'openapi-document' },
      database: { url: 'postgres://127.0.0.1:5432/interlock_openapi_never_queried' },
      sources: { generic: { token: 'openapi-token-0123456789' } },
    }),
    {},
  );
  connection = Connection.lazy({ address });
  const services = servicesOn(pool);
  const log = createLogger('openapi-test', 'silent');
  app = await createApiApp({ config, temporal: new Client({ connection }), services, log });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
  const response = await fetch(`${baseUrl}/docs-json`);
  expect(response.status).toBe(200);
  served = await response.text();
  doc = JSON.parse(served) as Document;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await pool.end();
});

const operations = (): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );

const describeProblem = (p: NormalizedProblem): string =>
  `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`;

describe('GET /docs-json', () => {
  it('is an OpenAPI 3.1 document that `redocly lint` (recommended ruleset) accepts without an error or warning', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: served, absoluteRef: 'docs-json.json', config });
    expect(problems.map(describeProblem)).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('gives every operation a summary and the security schemes its route really checks, every POST its body', () => {
    const security = Object.fromEntries(operations().map(([name, op]) => [name, op.security]));
    const operator = [{ bearer: [] }];
    expect(security).toEqual({
      'POST /webhooks/{source}': [{ webhookBearer: [] }, { webhookToken: [] }, { hmac: [] }, { basic: [] }],
      'GET /approvals': operator,
      'POST /approvals/{id}/decision': operator,
      'GET /incidents': operator,
      'GET /incidents/{id}': operator,
      'PATCH /incidents/{id}/case': operator,
      'POST /incidents/{id}/comments': operator,
      'GET /incidents/{id}/audit': operator,
      'GET /incidents/zones': operator,
      'GET /incidents/{id}/evidence': operator,
      'GET /incidents/{id}/timeline-link': operator,
      'GET /incidents/{id}/raw-bodies/{sha256}': operator,
      'GET /audit/verify': operator,
      'GET /ui/incidents/{id}': [{ bearer: [] }, { timelineLink: [] }],
      'GET /health': [],
      'GET /health/live': [],
      'GET /health/ready': [],
      'GET /playbooks': operator,
      'GET /playbooks/schema': operator,
      'POST /playbooks/validate': operator,
      'POST /playbooks/{id}/dry-run': operator,
      'POST /slack/interactions': [{ slackSignature: [], slackTimestamp: [] }],
      'GET /metrics': operator,
      'GET /codec/link': operator,
      'POST /codec/decode': operator,
      'POST /codec/encode': operator,
      // The signed path from GET /codec/link is the credential; OpenAPI has no scheme for a path.
      'POST /codec/{op}/{exp}/{sig}/decode': [],
      'POST /codec/{op}/{exp}/{sig}/encode': [],
      // The console's sign-in pages are public; its session routes take the cookie (and CSRF token).
      'GET /console/sign-in': [],
      'POST /console/sign-in': [],
      'GET /console/oidc/start': [],
      'GET /console/oidc/callback': [],
      'GET /console': [],
      'GET /console/me': [{ consoleSession: [] }],
      'POST /console/sign-out': [{ consoleSession: [] }],
      'GET /console/events': [{ consoleSession: [] }],
      'GET /console/incidents': [{ consoleSession: [] }],
      'GET /console/incidents/live': [{ consoleSession: [] }],
      'GET /console/incidents/{id}': [{ consoleSession: [] }],
      'GET /console/incidents/{id}/evidence': [{ consoleSession: [] }],
      'GET /console/incidents/{id}/audit.csv': [{ consoleSession: [] }],
      'GET /console/incidents/{id}/raw-bodies/{sha256}': [{ consoleSession: [] }],
      'POST /console/incidents/{id}/case': [{ consoleSession: [] }],
      'POST /console/incidents/{id}/comments': [{ consoleSession: [] }],
      // The console's pages: without a session they send the browser to sign-in (and back).
      'GET /console/approvals': [{ consoleSession: [] }],
      'GET /console/approvals/{id}': [{ consoleSession: [] }],
      'GET /console/approvals/{id}/confirm': [{ consoleSession: [] }],
      'POST /console/approvals/{id}/decision': [{ consoleSession: [] }],
      'GET /console/playbooks': [{ consoleSession: [] }],
      'GET /console/playbooks/{id}': [{ consoleSession: [] }],
      'POST /console/playbooks/{id}/dry-run': [{ consoleSession: [] }],
    });
    for (const [name, op] of operations()) {
      expect([name, op.summary?.length ?? 0]).not.toEqual([name, 0]);
      if (name.startsWith('POST ') || name.startsWith('PATCH '))
        expect([name, op.requestBody?.required]).toEqual([name, true]);
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      [
        'basic',
        'bearer',
        'consoleSession',
        'hmac',
        'slackSignature',
        'slackTimestamp',
        'timelineLink',
        'webhookBearer',
        'webhookToken',
      ].sort(),
    );
  });

  it('documents query and path parameters from the zod schemas the routes validate with', () => {
    type Parameter = { name: string; in: string; required?: boolean; schema?: Record<string, unknown> };
    const parameters = (method: string, path: string) =>
      ((doc.paths[path]?.[method] as { parameters?: Parameter[] } | undefined)?.parameters ?? []).map(
        ({ name, in: where, required, schema }) => ({ name, in: where, required, schema }),
      );
    const query = (method: string, path: string) =>
      Object.fromEntries(
        parameters(method, path)
          .filter((p) => p.in === 'query')
          .map((p) => [p.name, p]),
      );

    const incidents = query('get', '/incidents');
    expect(Object.keys(incidents).sort()).toEqual(
      [
        'assignee',
        'caseStatus',
        'cursor',
        'from',
        'limit',
        'offset',
        'severity',
        'source',
        'status',
        'to',
        'unhandled',
        'waitingForApproval',
        'zone',
      ].sort(),
    );
    expect(incidents['caseStatus']).toMatchObject({
      required: false,
      schema: { enum: ['new', 'triage', 'contained', 'recovering', 'closed'] },
    });
    expect(incidents['unhandled']).toMatchObject({ required: false, schema: { enum: ['true', 'false'] } });
    expect(incidents['from']?.schema).toMatchObject({ type: 'string', format: 'date-time' });
    expect(incidents['limit']?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    expect(incidents['status']).toMatchObject({ required: false, schema: { enum: ['open', 'closed'] } });

    const approvals = query('get', '/approvals');
    expect(Object.keys(approvals).sort()).toEqual(['cursor', 'incidentId', 'limit', 'status']);
    expect(approvals['status']?.schema).toMatchObject({
      enum: ['pending', 'approved', 'rejected', 'expired', 'cancelled'],
    });

    expect(parameters('get', '/incidents/{id}')).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^inc-[0-9a-f]{24}$' } },
    ]);
    expect(parameters('post', '/approvals/{id}/decision').find((p) => p.in === 'path')?.schema).toEqual({
      type: 'string',
      pattern: '^apr-[0-9a-f-]{36}$',
    });
  });

  it('documents the normalized alert and why playbooks match (dry run, issue 15)', () => {
    const components = (doc as unknown as { components: { schemas: Record<string, Record<string, unknown>> } })
      .components.schemas;
    const dryRun = (doc as unknown as { paths: Record<string, Record<string, unknown>> }).paths[
      '/playbooks/{id}/dry-run'
    ]?.['post'] as {
      responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }>;
    };
    const result = dryRun.responses['200']?.content['application/json']?.schema;
    expect(result?.properties['match']).toEqual({ $ref: '#/components/schemas/PlaybookMatch' });
    const alert = result?.properties['alert'] as { properties: Record<string, unknown> };
    expect(Object.keys(alert.properties)).toEqual(
      expect.arrayContaining(['network', 'ot', 'attacks', 'category', 'provenance']),
    );
    expect(JSON.stringify(alert.properties['ot'])).toContain('program_download');
    expect(JSON.stringify(components['PlaybookMatch'])).toContain('minSeverity');
  });

  it('describes every JSON error response with the shared Error schema', () => {
    let checked = 0;
    for (const [name, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status) || (['GET /health', 'GET /health/ready'].includes(name) && status === '503'))
          continue;
        expect([name, status, response.content]).toEqual([
          name,
          status,
          { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        ]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('GET /docs', () => {
  it('renders the document in Swagger UI: every operation listed, no parser error', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${baseUrl}/docs`);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      const paths = await page.locator('.opblock-summary-path').all();
      const listed = await Promise.all(paths.map((path) => path.getAttribute('data-path')));
      expect(new Set(listed)).toEqual(new Set(Object.keys(doc.paths)));
      const summaries = await page.locator('.opblock-summary-description').allTextContents();
      expect(summaries.sort()).toEqual(
        operations()
          .map(([, op]) => op.summary)
          .sort(),
      );
      expect(await page.locator('.version-stamp').textContent()).toContain('3.1');
      expect(await page.locator('.errors-wrapper').count()).toBe(0);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
