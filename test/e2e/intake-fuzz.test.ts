/**
 * Property-based fuzzing of every webhook (issue 4): random and hostile bodies, headers,
 * encodings and paths against the real HTTP API (started in-process with createApiApp)
 * backed by a real Temporal client and PostgreSQL. Whatever arrives: no 5xx, the process
 * keeps answering, and every refusal is a JSON 4xx in the API's error shape.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { createApiApp } from '../../src/api/create-app';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging';
import { createServices, type Services } from '../../src/runtime/services';
import { createTestDatabase } from '../support/pg';

const SOURCES = ['splunk', 'elastic', 'sentinel', 'wazuh', 'qradar', 'defender-iot', 'nozomi', 'generic'] as const;
const TOKEN = 'fuzz-token-0123456789';
const HMAC_SECRET = 'fuzz-hmac-secret-0123456789';
const BASIC = { username: 'kibana', password: 'fuzz-basic-password' };
const FIXTURES = Object.fromEntries(
  SOURCES.map((s) => [s, readFileSync(join(__dirname, '..', 'intake', 'fixtures', `${s}.json`), 'utf8')]),
) as Record<(typeof SOURCES)[number], string>;
const ALLOWED = new Set([202, 400, 401, 404, 413, 415, 429]);

let app: INestApplication;
let services: Services;
let connection: Connection;
let db: { url: string; drop(): Promise<void> };
let baseUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '';
  const config = parseConfig(
    JSON.stringify({
      server: { port: 0, maxBodyBytes: 16_384 },
      temporal: { address, taskQueue: `fuzz-${randomBytes(4).toString('hex')}` },
      database: { url: db.url },
      incidents: { closeAfterIdle: '1m' },
      sources: Object.fromEntries(SOURCES.map((s) => [s, { token: TOKEN, hmacSecret: HMAC_SECRET, basicAuth: BASIC }])),
    }),
    {},
  );
  services = await createServices(config);
  connection = await Connection.connect({ address });
  const log = createLogger('fuzz', 'silent');
  app = await createApiApp({ config, temporal: new Client({ connection }), services, log });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await services?.close();
  await db?.drop();
});

interface Attempt {
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

async function send({ path, headers, body }: Attempt): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') ?? '' };
}

function expectWellFormed(answer: { status: number; text: string; type: string }): void {
  expect(ALLOWED.has(answer.status) ? answer.status : answer).toBe(answer.status);
  expect(answer.type).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as { error?: { status: number; code: string; message: string } };
  if (answer.status >= 400) {
    expect(body.error).toEqual(
      expect.objectContaining({ status: answer.status, code: expect.any(String), message: expect.any(String) }),
    );
  }
}

const source = fc.constantFrom(...SOURCES);
const credentials = (body: Uint8Array | string) =>
  fc.constantFrom<Record<string, string>>(
    { authorization: `Bearer ${TOKEN}` },
    { authorization: 'Bearer wrong-token' },
    { authorization: `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64')}` },
    { authorization: 'Basic %%%not-base64' },
    { authorization: '' },
    { 'x-interlock-signature': `sha256=${createHmac('sha256', HMAC_SECRET).update(body).digest('hex')}` },
    { 'x-interlock-signature': 'sha256=zz' },
    { 'x-interlock-signature': 'md5=00' },
    {},
  );
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=klingon',
  'application/vnd.api+json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  '',
  'application/json\u0000',
);
const encoding = fc.constantFrom<Record<string, string>>(
  {},
  { 'content-encoding': 'gzip' },
  { 'content-encoding': 'deflate' },
  { 'content-encoding': 'br' },
  { 'content-encoding': 'identity' },
  { 'content-encoding': 'x-evil' },
);
const hostileJson = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}',
    '[]',
    'null',
    '"string"',
    '1e999999',
    '{"a":'.repeat(2000),
    '['.repeat(5000) + ']'.repeat(5000),
    '\uFEFF{}',
    '{"result":{"host":"\u0000\uD800"}}',
    'x'.repeat(20_000),
  ),
);
const body = fc.oneof(
  hostileJson,
  fc.uint8Array({ maxLength: 300 }),
  // A fixture with one value replaced by anything: wrong types, huge numbers, nesting.
  fc.tuple(source, fc.nat(), fc.jsonValue({ maxDepth: 3 })).map(([s, n, v]) => mutate(JSON.parse(FIXTURES[s]), n, v)),
);

/** Replaces the n-th (mod count) value in a JSON document with `value`. */
function mutate(doc: unknown, n: number, value: unknown): string {
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      slots.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(k) : k });
      walk(v);
    }
  };
  walk(doc);
  const slot = slots[n % Math.max(slots.length, 1)];
  if (slot !== undefined) (slot.parent as Record<string | number, unknown>)[slot.key] = value;
  return JSON.stringify(doc);
}

const attempt: fc.Arbitrary<Attempt> = fc
  .tuple(source, body, contentType, encoding, fc.boolean(), fc.constantFrom('', `?token=${TOKEN}`, '?token=x&token=y'))
  .chain(([s, b, type, enc, validPath, query]) =>
    credentials(b).map((auth) => ({
      path: `/webhooks/${validPath ? s : encodeURIComponent(`${s}/../../x\u0000`)}${query}`,
      headers: { ...(type === '' ? {} : { 'content-type': type.replace('\u0000', '') }), ...enc, ...auth },
      body: b,
    })),
  );

it('answers every random or hostile delivery with a well-formed 2xx/4xx JSON response', async () => {
  await fc.assert(
    fc.asyncProperty(attempt, async (a) => {
      expectWellFormed(await send(a));
    }),
    { numRuns: 400 },
  );
  // Still alive and still accepting a genuine delivery.
  const ok = await send({
    path: '/webhooks/splunk',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: FIXTURES.splunk,
  });
  expect(ok.status).toBe(202);
}, 120_000);

it('accepts every fixture, mutated or not, with valid credentials as 202 or a 400 naming fields', async () => {
  await fc.assert(
    fc.asyncProperty(source, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), async (s, n, v, doMutate) => {
      const text = doMutate ? mutate(JSON.parse(FIXTURES[s]), n, v) : FIXTURES[s];
      const answer = await send({
        path: `/webhooks/${s}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: text,
      });
      expectWellFormed(answer);
      expect([202, 400]).toContain(answer.status);
      if (!doMutate) expect(answer.status).toBe(202);
      const parsed = JSON.parse(answer.text) as { error?: { code: string; issues?: { path: string }[] } };
      if (answer.status === 400 && parsed.error?.code === 'invalid_alert')
        expect(parsed.error.issues?.length).toBeGreaterThan(0);
    }),
    { numRuns: 300 },
  );
}, 120_000);

it('refuses oversized bodies with a JSON 413, whatever the credentials', async () => {
  await fc.assert(
    fc.asyncProperty(source, fc.integer({ min: 16_385, max: 200_000 }), async (s, size) => {
      const answer = await send({
        path: `/webhooks/${s}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: `{"pad":"${'a'.repeat(size)}"}`,
      });
      expectWellFormed(answer);
      expect(answer.status).toBe(413);
    }),
    { numRuns: 20 },
  );
});

describe('Content-Encoding', () => {
  const genuine = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('accepts a %s-compressed delivery as the same alert', async (name, compress) => {
    const answer = await send({
      path: '/webhooks/generic',
      headers: { ...genuine, 'content-encoding': name },
      body: compress(Buffer.from(FIXTURES.generic)),
    });
    expectWellFormed(answer);
    expect(answer.status).toBe(202);
    const plain = await send({ path: '/webhooks/generic', headers: genuine, body: FIXTURES.generic });
    const incidentOf = (text: string) => (JSON.parse(text) as { incidentId: string }).incidentId;
    expect(incidentOf(plain.text)).toBe(incidentOf(answer.text));
  });

  it('refuses a small body that inflates beyond the limit with a JSON 413', async () => {
    const bomb = gzipSync(Buffer.alloc(5_000_000, ' '));
    expect(bomb.length).toBeLessThan(16_384);
    const answer = await send({
      path: '/webhooks/generic',
      headers: { ...genuine, 'content-encoding': 'gzip' },
      body: bomb,
    });
    expectWellFormed(answer);
    expect(answer.status).toBe(413);
  });

  it.each([
    ['an unknown encoding', 'x-evil', 415],
    ['corrupt compressed data', 'gzip', 400],
    ['an inherited property name as encoding', 'constructor', 415],
  ])('refuses %s with a JSON %s', async (_case, contentEncoding, status) => {
    const answer = await send({
      path: '/webhooks/generic',
      headers: { ...genuine, 'content-encoding': contentEncoding },
      body: FIXTURES.generic,
    });
    expectWellFormed(answer);
    expect(answer.status).toBe(status);
  });

  it('limits operator API bodies to 64 KiB and refuses malformed JSON there, before authentication', async () => {
    const tooLarge = await send({
      path: '/playbooks/validate',
      headers: { 'content-type': 'application/json' },
      body: `{"pad":"${'a'.repeat(70_000)}"}`,
    });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toEqual({
      error: expect.objectContaining({ status: 413, code: 'payload_too_large' }),
    });
    const malformed = await send({
      path: '/playbooks/validate',
      headers: { 'content-type': 'application/json' },
      body: '{"playbook":',
    });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toEqual({ error: expect.objectContaining({ code: 'malformed_json' }) });
  });
});

describe('OpenAPI', () => {
  it('serves the document at /docs-json with every webhook refusal as the JSON error schema', async () => {
    const response = await fetch(`${baseUrl}/docs-json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const webhook = doc.paths['/webhooks/{source}']?.['post'];
    for (const status of ['400', '401', '404', '413', '415', '429', '503'])
      expect(webhook?.responses[status]?.content).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/Error' } },
      });
    expect(webhook?.responses['202']).toBeDefined();
    for (const s of SOURCES) expect(doc.components.schemas[`${s}-body`]).toBeDefined();
    for (const path of ['/approvals', '/approvals/{id}/decision', '/incidents/{id}', '/health'])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/approvals/{id}/decision']?.['post']?.responses['409']).toBeDefined();
    // Routes that read PostgreSQL say they answer 503 (JSON error) while it is unreachable.
    expect(doc.paths['/incidents/{id}/audit']?.['get']?.responses['503']?.content).toBeDefined();
    for (const path of [
      '/playbooks/validate',
      '/playbooks/{id}/dry-run',
      '/incidents',
      '/incidents/{id}/evidence',
      '/slack/interactions',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    const decision = doc.paths['/approvals/{id}/decision']?.['post'] as unknown as {
      responses: Record<string, unknown>;
      requestBody?: {
        content: { 'application/json': { schema: { properties: Record<string, unknown>; required?: string[] } } };
      };
    };
    expect(decision.responses['422']).toBeDefined();
    const body = decision.requestBody?.content['application/json'].schema;
    expect(Object.keys(body?.properties ?? {})).toEqual(
      expect.arrayContaining(['decision', 'reason', 'actionDigest', 'breakGlass', 'justification']),
    );
    expect(body?.required).toEqual(['decision']);
    expect((doc.paths['/slack/interactions']?.['post'] as unknown as { security: unknown[] }).security).toEqual([
      { slackSignature: [], slackTimestamp: [] },
    ]);
    const ui = await fetch(`${baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });
});
