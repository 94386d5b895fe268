/**
 * Sensitive data in Temporal is encrypted (issue 14). Real API and worker processes with
 * `temporal.encryption` configured: an alert's hostname, user, IP and title are nowhere in
 * clear in the incident's Temporal history as the server stores it (read with the raw gRPC
 * API, no codec), every payload there is AES-GCM encrypted, the incident still runs (the
 * laptop is contained), and the codec endpoint — for the Temporal CLI and Web UI — decodes
 * the same payloads back to those values.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { parse } from 'yaml';
import { findTemporalCli } from '../../src/dev/temporal-server';
import { accepted, auditOf, types } from '../support/e2e';
import { API_KEYS, CROWDSTRIKE_AGENT_FIN_LT_042, ENCRYPTION_KEY, startStack, type Stack } from '../support/stack';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const HOST = 'fin-lt-042';
const USER = 'zq-meridian-7731';
const CASE = 'KX-48151623';
const IP = '198.51.100.77';
const SENSITIVE = [HOST, USER, CASE, IP];
/** What sdk-core records in clear in a local activity's marker (its result is a separate, encrypted payload). */
const LOCAL_ACTIVITY_MARKER_KEYS = [
  'seq',
  'attempt',
  'activity_id',
  'activity_type',
  'complete_time',
  'backoff',
  'original_schedule_time',
];

type History = proto.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
interface PayloadJson {
  metadata: Record<string, string>;
  data: string;
}

let stack: Stack;
let connection: Connection;
let namespace: string;
let address: string;
let incidentId: string;

beforeAll(async () => {
  stack = await startStack({ temporalUiUrl: `${UI_ORIGIN}/` });
  ({ address, namespace } = (parse(readFileSync(stack.configPath, 'utf8')) as { temporal: Record<string, string> })
    .temporal as { address: string; namespace: string });
  connection = await Connection.connect({ address });
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

/** The workflow's history pages exactly as Temporal serves them: no data converter, no codec. */
async function rawHistory(workflowId: string): Promise<History[]> {
  const pages: History[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId },
      ...(nextPageToken === undefined ? {} : { nextPageToken }),
    });
    pages.push(page);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  return pages;
}

/** Every Payload message anywhere in a decoded protobuf message. */
function payloadsIn(node: unknown, found: proto.api.common.v1.IPayload[] = []): proto.api.common.v1.IPayload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  const record = node as Record<string, unknown>;
  if (record['data'] instanceof Uint8Array && typeof record['metadata'] === 'object') {
    found.push(record);
    return found;
  }
  for (const value of Object.values(record)) payloadsIn(value, found);
  return found;
}

const toJson = (p: proto.api.common.v1.IPayload): PayloadJson => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const utf8 = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

async function codec(
  path: string,
  payloads: PayloadJson[],
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Headers;
  body: { payloads?: PayloadJson[]; error?: { code: string; message: string } };
}> {
  const response = await fetch(path.startsWith('http') ? path : `${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': namespace, ...headers },
    body: JSON.stringify({ payloads }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

const ALICE = { authorization: `Bearer ${API_KEYS.alice}` };
let historyPayloads: PayloadJson[];

it('stores no alert field in clear in Temporal, and the incident still contains the laptop', async () => {
  ({ incidentId } = await accepted(
    await stack.webhook('generic', {
      id: `enc-${CASE}`,
      time: '2026-11-20T11:00:00Z',
      severity: 'high',
      title: `Ransomware staging, case ${CASE}`,
      rule: { id: `enc-${CASE}` },
      hosts: [{ name: HOST }],
      users: [USER],
      ips: [IP],
    }),
  ));
  const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
  expect(records.find((r) => r.eventType === 'action.executed')?.action).toMatchObject({ type: 'edr.contain_host' });
  expect(stack.crowdstrike.contained.has(CROWDSTRIKE_AGENT_FIN_LT_042)).toBe(true);

  // The incident's history and its playbook runs' (child workflows), as stored.
  const pages = await rawHistory(incidentId);
  const children = pages.flatMap((page) =>
    (page.history?.events ?? []).flatMap(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
    ),
  );
  for (const child of children) pages.push(...(await rawHistory(child)));
  const stored = Buffer.concat(
    pages.map((page) => proto.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(page).finish()),
  ).toString('latin1');
  // The account step fails (no Okta configured): its failure's message is encrypted too.
  expect(stored).toContain('Encoded failure');
  expect(stored).not.toContain('not configured');
  for (const value of SENSITIVE) expect({ value, inClear: stored.includes(value) }).toEqual({ value, inClear: false });

  // Every payload is encrypted, except the bookkeeping the SDK's core writes itself: beside a
  // local activity's (encrypted) result its sequence, attempt, activity type and times, and a
  // patch marker's patch ID.
  const payloads = pages.flatMap((page) => payloadsIn(page.history));
  const encoding = (p: proto.api.common.v1.IPayload) => Buffer.from(p.metadata?.['encoding'] ?? []).toString();
  const encrypted = payloads.filter((p) => encoding(p) === 'binary/encrypted');
  expect(encrypted.length).toBeGreaterThanOrEqual(3); // workflow input, the alert signal, activity results
  for (const payload of encrypted)
    expect(Buffer.from(payload.metadata?.['encryption-key-id'] ?? []).toString()).toBe(ENCRYPTION_KEY.id);
  for (const payload of payloads.filter((p) => encoding(p) !== 'binary/encrypted')) {
    expect(encoding(payload)).toBe('json/plain');
    const data = JSON.parse(Buffer.from(payload.data ?? []).toString()) as Record<string, unknown>;
    // Search attributes (docs/operations.md#search-attributes) bypass codecs by design: they hold
    // configuration words only (zone IDs, severities, source names, statuses) and booleans.
    const searchType = Buffer.from(payload.metadata?.['type'] ?? []).toString();
    if (searchType !== '') {
      expect(['Keyword', 'KeywordList', 'Bool']).toContain(searchType);
      const words = ([] as unknown[]).concat(data).filter((v) => typeof v !== 'boolean');
      expect(words.filter((word) => !/^[a-z0-9-]+$/.test(String(word)))).toEqual([]);
      continue;
    }
    const keys = Object.keys(data);
    // A patch (workflow versioning, docs/workflow-changes.md) writes its ID — code, not data — in a
    // marker and in the TemporalChangeVersion search attribute.
    if (Array.isArray(data)) expect(data.filter((id) => !/^[a-z0-9-]+$/.test(String(id)))).toEqual([]);
    else if (keys.includes('deprecated'))
      expect(data).toEqual({ id: expect.stringMatching(/^[a-z0-9-]+$/), deprecated: expect.any(Boolean) });
    else expect(LOCAL_ACTIVITY_MARKER_KEYS).toEqual(expect.arrayContaining(keys));
  }
  historyPayloads = encrypted.map(toJson);

  // The API's own client decodes what the worker encrypted (the incident state query).
  const detail = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
  expect(await detail.json()).toMatchObject({ state: { incidentId, alertCount: 1 } });
});

it('decodes the same history through the codec endpoint for an operator', async () => {
  const decoded = await codec('/codec/decode', historyPayloads, ALICE);
  expect(decoded.status).toBe(200);
  expect(decoded.body.payloads).toHaveLength(historyPayloads.length);
  const clear = (decoded.body.payloads ?? []).map((p) => utf8(p.data)).join('\n');
  for (const value of SENSITIVE) expect(clear).toContain(value);
  // The failure's message, moved into its encrypted attributes.
  expect(clear).toContain('"message":"integration identity (okta or entra-id) is not configured"');
  expect(utf8(decoded.body.payloads?.[0]?.metadata['encoding'] ?? '')).toBe('json/plain');

  expect((await codec('/codec/decode', historyPayloads)).status).toBe(401);
  expect((await codec('/codec/decode', historyPayloads, { authorization: 'Bearer not-an-operator-key' })).status).toBe(
    401,
  );
});

it('encodes with the active key, and refuses a payload it cannot decrypt with a 400 naming the key', async () => {
  const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: btoa('"hello"') };
  const encoded = await codec('/codec/encode', [plain], ALICE);
  expect(encoded.status).toBe(200);
  const [sealed] = encoded.body.payloads ?? [];
  expect(utf8(sealed?.metadata['encoding'] ?? '')).toBe('binary/encrypted');
  expect(utf8(sealed?.metadata['encryption-key-id'] ?? '')).toBe(ENCRYPTION_KEY.id);
  expect((await codec('/codec/decode', [sealed as PayloadJson], ALICE)).body.payloads).toEqual([plain]);

  // Payloads of a large alert batch fit (Temporal allows 2 MB); other operator routes keep 64 KiB.
  const large = { ...plain, data: Buffer.from(JSON.stringify('x'.repeat(1_500_000))).toString('base64') };
  const sealedLarge = await codec('/codec/encode', [large], ALICE);
  expect(sealedLarge.status).toBe(200);
  expect((await codec('/codec/decode', sealedLarge.body.payloads ?? [], ALICE)).body.payloads).toEqual([large]);
  const tooLarge = await stack.api('/playbooks/validate', {
    method: 'POST',
    operator: 'alice',
    body: { yaml: 'x'.repeat(100_000) },
  });
  expect(tooLarge.status).toBe(413);

  const foreign = {
    ...(sealed as PayloadJson),
    metadata: { ...sealed?.metadata, 'encryption-key-id': btoa('retired') },
  };
  const refused = await codec('/codec/decode', [foreign], ALICE);
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({
    code: 'undecodable_payload',
    message: expect.stringContaining('"retired"'),
  });
});

it('gives the Temporal Web UI a signed endpoint, callable from the UI origin only (CORS)', async () => {
  const link = await stack.api('/codec/link', { operator: 'omar' });
  expect(link.status).toBe(200);
  const { endpoint, expiresAt } = (await link.json()) as { endpoint: string; expiresAt: string };
  expect(endpoint).toMatch(new RegExp(`^${stack.apiUrl}/codec/omar/\\d+/[0-9a-f]{64}$`));
  expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);

  // The browser's preflight, then the call the UI makes (no Authorization header).
  const preflight = await fetch(`${endpoint}/decode`, {
    method: 'OPTIONS',
    headers: {
      origin: UI_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
  const fromUi = await codec(`${endpoint}/decode`, historyPayloads, { origin: UI_ORIGIN });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect((fromUi.body.payloads ?? []).map((p) => utf8(p.data)).join('\n')).toContain(USER);

  // Another origin gets no CORS grant; a forged or altered link is refused.
  const elsewhere = await fetch(`${endpoint}/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  const other = await codec(`${endpoint}/decode`, historyPayloads, { origin: 'http://evil.example' });
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
  const forged = endpoint.replace(/[0-9a-f]$/, (c) => (c === '0' ? '1' : '0'));
  expect((await codec(`${forged}/decode`, historyPayloads)).status).toBe(401);
  expect((await codec(endpoint.replace('/codec/omar/', '/codec/alice/') + '/decode', historyPayloads)).status).toBe(
    401,
  );
});

it('lets the Temporal CLI show the history in clear through the codec endpoint, as docs/configuration.md says', async () => {
  const cli = findTemporalCli();
  if (cli === undefined) throw new Error('no temporal CLI (scripts/bootstrap.sh builds it)');
  // `-o json` prints the (decoded) payloads' bytes in base64: read them back as text.
  const show = async (extra: string[]) => {
    const { stdout } = await promisify(execFile)(
      cli,
      ['workflow', 'show', '--address', address, '--namespace', namespace, '--workflow-id', incidentId].concat(
        ['-o', 'json'],
        extra,
      ),
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const payloads: PayloadJson[] = [];
    JSON.parse(stdout, (key, value: unknown) => {
      if (key === 'payloads' && Array.isArray(value)) payloads.push(...(value as PayloadJson[]));
      return value;
    });
    return {
      encodings: new Set(payloads.map((p) => utf8(p.metadata['encoding'] ?? ''))),
      text: payloads.map((p) => utf8(p.data)).join('\n'),
    };
  };
  const withoutCodec = await show([]);
  expect(withoutCodec.encodings).toContain('binary/encrypted');
  for (const value of SENSITIVE) expect(withoutCodec.text).not.toContain(value);
  const withCodec = await show([
    '--codec-endpoint',
    `${stack.apiUrl}/codec`,
    '--codec-auth',
    `Bearer ${API_KEYS.alice}`,
  ]);
  expect(withCodec.encodings).not.toContain('binary/encrypted');
  for (const value of SENSITIVE) expect(withCodec.text).toContain(value);
});
