/**
 * Property-based fuzzing of the operator API (issue 13, item 6), through the real stack (API
 * and worker processes, Temporal, PostgreSQL): arbitrary query strings and path parameters on
 * every operator GET route, and arbitrary YAML and alerts on the playbook API. Whatever
 * arrives: never a 5xx, and every refusal is a JSON 4xx in the API's error shape.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { accepted, pendingApprovalFor } from '../support/e2e';
import { API_KEYS, REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;
let incidentId: string;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  stack = await startStack();
  // A real incident with a pending approval, so the routes also read real records.
  incidentId = (
    await accepted(
      await stack.webhook('generic', {
        id: 'fuzz-ot-host',
        title: 'Fuzz: quarantine an OT host',
        severity: 'high',
        rule: { id: 'test-quarantine', name: 'test quarantine' },
        hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
      }),
    )
  ).incidentId;
  await pendingApprovalFor(stack, incidentId, 'alice');
  await eventually(
    async () =>
      (await stack.api(`/incidents/${incidentId}`, { operator: 'alice' })).status === 200 ? true : undefined,
    'the fuzz incident',
  );
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await stack?.stop();
});

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** One request with the path exactly as given (no URL normalization, unlike fetch). */
function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const { hostname, port } = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** No 5xx; a refusal is `{error: {status, code, message}}` as JSON; a success is JSON, CSV or the HTML page. */
function expectWellFormed(answer: Answer, what: string): void {
  expect({ what, status: answer.status < 500 ? 'not 5xx' : answer.status, text: answer.text.slice(0, 300) }).toEqual({
    what,
    status: 'not 5xx',
    text: expect.any(String),
  });
  if (answer.status >= 400) {
    expect({ what, type: answer.type }).toEqual({ what, type: expect.stringMatching(/^application\/json/) });
    const body = JSON.parse(answer.text) as { error?: unknown };
    expect({ what, error: body.error }).toEqual({
      what,
      error: expect.objectContaining({ status: answer.status, code: expect.any(String), message: expect.any(String) }),
    });
  } else {
    expect({ what, type: answer.type }).toEqual({
      what,
      type: expect.stringMatching(/^(application\/json|text\/csv|text\/html)/),
    });
  }
}

/** Percent-encodes every byte of the UTF-8 form except unreserved characters. */
function pct(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent sequences no encoder produces: NUL, lone surrogates (CESU-8), overlong, invalid bytes, broken escapes. */
const RAW_FRAGMENTS = [
  '%00',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%C0%80',
  '%FF%FE',
  '%',
  '%Z1',
  '%uD800',
  '%0D%0A',
  '%7F',
  '%2F..%2F',
  '%25',
  '+',
  '%E2%80%AE',
] as const;
const rawFragment = fc.constantFrom(...RAW_FRAGMENTS);

const KNOWN_KEYS = [
  'status',
  'severity',
  'zone',
  'source',
  'from',
  'to',
  'limit',
  'offset',
  'format',
  'incidentId',
  'op',
  'exp',
  'sig',
  'token',
  '__proto__',
  'constructor',
  'status[]',
  'limit[0]',
  'from[a]',
] as const;

/** RFC 3339-looking dates at and beyond what PostgreSQL and JS accept (years 0000–9999, any offset). */
const dateLike = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.constantFrom('Z', 'z', '+00:00', '-00:00', '+14:00', '-23:59', '+23:59', '+15:59', '-16:00', ''),
    fc.constantFrom('', '.1', '.123456789'),
  )
  .map(([y, mo, d, h, offset, frac]) => {
    const two = (n: number) => String(n).padStart(2, '0');
    return `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}T${two(h)}:00:00${frac}${offset}`;
  });

const queryValue = fc.oneof(
  fc.string({ maxLength: 40 }).map(pct),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(pct),
  fc.string({ unit: 'binary', maxLength: 40 }).map(pct),
  fc
    .array(fc.oneof(rawFragment, fc.string({ maxLength: 5 }).map(pct)), { maxLength: 6 })
    .map((parts) => parts.join('')),
  dateLike.map(pct),
  fc.date({ noInvalidDate: true }).map((d) => pct(d.toISOString())),
  fc.constantFrom('open', 'closed', 'high', 'critical', 'json', 'csv', 'pending', '0', '1', '500', '501', '-1'),
  fc.oneof(fc.integer(), fc.double()).map((n) => pct(String(n))),
  fc
    .constantFrom('1e309', 'NaN', 'Infinity', '0x10', '1_000', ' 5', '9'.repeat(400), 'inc-000000000000000000000000')
    .map(pct),
  fc.constantFrom('a'.repeat(5_000), '%00'.repeat(1_000), '%ED%A0%80'.repeat(500)),
);
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_KEYS).map(pct) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }).map(pct) },
  { weight: 1, arbitrary: rawFragment },
);
/** Repeated keys, keys without values, empty pairs. */
const queryString = fc
  .array(fc.tuple(queryKey, fc.option(queryValue, { nil: undefined })), { maxLength: 6 })
  .chain((pairs) =>
    fc
      .constantFrom('', '&', '&&')
      .map((extra) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(`&${extra}`)),
  );

/** A path parameter: the real incident, a well-formed unknown one, or anything at all. */
const pathParam = fc.oneof(
  fc.constant('{incident}'),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 }).map((h) => `inc-${h}`),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(pct),
  fc
    .array(fc.oneof(rawFragment, fc.string({ maxLength: 4 }).map(pct)), { minLength: 1, maxLength: 5 })
    .map((p) => p.join('')),
  fc.constantFrom('..', '.', '%2e%2e', 'inc-', 'a'.repeat(150), 'INC-000000000000000000000000'),
);

const ROUTES = [
  '/incidents',
  '/incidents/:id',
  '/incidents/:id/audit',
  '/incidents/:id/evidence',
  '/incidents/:id/timeline-link',
  '/audit/verify',
  '/approvals',
  '/playbooks',
  '/playbooks/schema',
  '/ui/incidents/:id',
  '/health',
] as const;

const ALICE = { authorization: `Bearer ${API_KEYS.alice}` };
const credentials = fc.constantFrom<Record<string, string>>(
  ALICE,
  { authorization: `Bearer ${API_KEYS.alice}` },
  { authorization: `Bearer ${API_KEYS.omar}` },
  { authorization: 'Bearer wrong-key' },
  {},
);

it('answers arbitrary query strings and path parameters on every operator GET route with no 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<string>(...ROUTES),
      pathParam,
      queryString,
      credentials,
      async (route, id, query, auth) => {
        const path = route.replace(':id', id === '{incident}' ? incidentId : id) + (query === '' ? '' : `?${query}`);
        expectWellFormed(await send('GET', path, auth), `GET ${path.slice(0, 200)}`);
      },
    ),
    {
      numRuns: 1_500,
      // Always tried: the inputs issue 13 reported, and NUL / lone surrogates in every filter.
      examples: [
        ['/incidents', '{incident}', 'from=0000-01-01T00:00:00Z', ALICE],
        ['/incidents', '{incident}', 'to=9999-12-31T23:59:59-23:59', ALICE],
        ...(
          ['/incidents', '/approvals', '/audit/verify', '/incidents/:id/audit', '/ui/incidents/:id'] as const
        ).flatMap((route) =>
          ['status', 'zone', 'source', 'incidentId', 'format', 'op', 'sig'].flatMap((key) =>
            ['%00', '%ED%A0%80', 'a%00b'].map(
              (value) =>
                [route, '{incident}', `${key}=${value}`, ALICE] as [string, string, string, Record<string, string>],
            ),
          ),
        ),
        ['/incidents/:id', '%00', '', ALICE],
        ['/incidents/:id', '%ED%A0%80', '', ALICE],
      ],
    },
  );
  // The ordinary requests still work.
  for (const path of [
    `/incidents/${incidentId}`,
    '/incidents?status=open',
    `/incidents/${incidentId}/audit?format=csv`,
  ])
    expect((await send('GET', path, { authorization: `Bearer ${API_KEYS.alice}` })).status).toBe(200);
}, 300_000);

it('refuses every known filter key with a bad value as a 400 naming that key', async () => {
  const BAD: Record<string, fc.Arbitrary<string>> = {
    status: fc.constantFrom('opened', '%00', ''),
    severity: fc.constantFrom('urgent', '%ED%A0%80'),
    zone: fc.constantFrom('%00', 'a%01b', '', 'z'.repeat(201)),
    source: fc.constantFrom('%00', '%1F', ''),
    from: fc.constantFrom(
      '0000-01-01T00:00:00Z',
      '0000-12-31T23:59:59%2B01:00',
      '0001-01-01T00:00:00%2B00:01',
      '2026-13-01T00:00:00Z',
      'yesterday',
    ),
    to: fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '2026-02-30T00:00:00Z'),
    limit: fc.constantFrom('0', '501', 'x', '1.5'),
    offset: fc.constantFrom('-1', '1000001', 'y'),
  };
  await fc.assert(
    fc.asyncProperty(
      fc
        .constantFrom(...Object.keys(BAD))
        .chain((key) => (BAD[key] as fc.Arbitrary<string>).map((v) => [key, v] as const)),
      async ([key, value]) => {
        const answer = await send('GET', `/incidents?${key}=${value}`, { authorization: `Bearer ${API_KEYS.alice}` });
        expectWellFormed(answer, `${key}=${value}`);
        expect({ key, value, status: answer.status }).toEqual({ key, value, status: 400 });
        const { error } = JSON.parse(answer.text) as { error: { issues?: { path: string }[] } };
        expect(error.issues?.map((i) => i.path)).toContain(key);
      },
    ),
    { numRuns: 120 },
  );
}, 120_000);

const SHIPPED_YAML = readFileSync(join(REPO_ROOT, 'playbooks', 's1-ransomware-office-laptop.yaml'), 'utf8');
const YAML_TOKENS = [
  'a:',
  'id: x',
  'steps:',
  '- ',
  '  ',
  '\n',
  '\t',
  ': ',
  '? ',
  '&x ',
  '*x',
  '&y ',
  '*y',
  '[',
  ']',
  '{',
  '}',
  ',',
  '!!str ',
  '!!binary ',
  '!!map ',
  '!<tag:yaml.org,2002:js/function> ',
  '!local ',
  '|',
  '>-',
  '"',
  "'",
  '#',
  '---',
  '...',
  '%YAML 1.2\n',
  '%TAG ! tag:x:\n',
  '<<: ',
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u2028',
  '0x1F',
  '.inf',
  '~',
  'null',
  '1e400',
  '-',
  '@',
  '`',
] as const;

/** "Billion laughs": each level an anchor of `fanout` aliases to the previous one. */
const aliasBomb = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 12 })).map(([fanout, levels]) => {
  let text = `l0: &l0 [${Array(fanout).fill('"lol"').join(', ')}]\n`;
  for (let i = 1; i <= levels; i++)
    text += `l${i}: &l${i} [${Array(fanout)
      .fill(`*l${i - 1}`)
      .join(', ')}]\n`;
  return { text, expansions: fanout ** (levels + 1) };
});
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('flow-seq', 'flow-map', 'block'))
  .map(([depth, style]) =>
    style === 'flow-seq'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : style === 'flow-map'
        ? `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`
        : Array.from({ length: Math.min(depth, 300) }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1',
  );
const hugeAnchor = fc
  .tuple(fc.integer({ min: 1, max: 40_000 }), fc.integer({ min: 1, max: 200 }))
  .map(([size, copies]) => `big: &big "${'x'.repeat(size)}"\nuse: [${Array(copies).fill('*big').join(', ')}]\n`);
const yamlText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 200 }).map((t) => t.join('')),
  aliasBomb.map((b) => b.text),
  deepNesting,
  hugeAnchor,
  // The shipped playbook with something inserted somewhere.
  fc
    .tuple(fc.nat(SHIPPED_YAML.length), fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 5 }))
    .map(([at, t]) => SHIPPED_YAML.slice(0, at) + t.join('') + SHIPPED_YAML.slice(at)),
);

/** A request body that fast-check prints briefly (a counterexample may be 60 KB). */
interface Body {
  bytes: Buffer;
}
function body(bytes: Buffer): Body {
  return {
    bytes,
    [fc.toStringMethod]: () =>
      `Body(${bytes.length} bytes: ${JSON.stringify(bytes.subarray(0, 120).toString('latin1'))}${bytes.length > 120 ? '…' : ''})`,
  } as Body;
}

/** Bodies for POST /playbooks/validate: {yaml}, {playbook}, other JSON, or bytes that are not UTF-8. */
const validateBody = fc
  .oneof(
    { weight: 5, arbitrary: yamlText.map((yaml) => Buffer.from(JSON.stringify({ yaml }))) },
    {
      weight: 1,
      arbitrary: fc.jsonValue({ maxDepth: 4 }).map((playbook) => Buffer.from(JSON.stringify({ playbook }))),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => Buffer.concat([Buffer.from('{"yaml":"'), Buffer.from(bytes), Buffer.from('"}')])),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 30_000 })
        .map((n) => Buffer.from(`{"playbook":${'['.repeat(n)}${']'.repeat(n)}}`)),
    },
  )
  .map(body);

const operatorJson = { authorization: `Bearer ${API_KEYS.alice}`, 'content-type': 'application/json' };

it('answers arbitrary YAML and bodies on POST /playbooks/validate with 200 or a JSON 4xx, never a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(validateBody, async ({ bytes }) => {
      const answer = await send('POST', '/playbooks/validate', operatorJson, bytes);
      expectWellFormed(answer, `validate ${bytes.subarray(0, 200).toString('utf8')}`);
      if (answer.status === 200)
        expect(JSON.parse(answer.text)).toEqual(expect.objectContaining({ valid: expect.any(Boolean) }));
    }),
    { numRuns: 300 },
  );
}, 300_000);

it('refuses every alias bomb beyond the limit with a quick 422 yaml_limit_exceeded', async () => {
  await fc.assert(
    fc.asyncProperty(
      aliasBomb.filter((b) => b.expansions > 1_000),
      async ({ text }) => {
        const started = Date.now();
        const answer = await send(
          'POST',
          '/playbooks/validate',
          operatorJson,
          Buffer.from(JSON.stringify({ yaml: text })),
        );
        expectWellFormed(answer, text);
        expect(answer.status).toBe(422);
        expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).toBe('yaml_limit_exceeded');
        expect(Date.now() - started).toBeLessThan(2_000);
      },
    ),
    { numRuns: 30 },
  );
}, 120_000);

const GENERIC_FIXTURE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'generic.json'), 'utf8');

it('answers arbitrary dry-run requests with 200 or a JSON 4xx, never a 5xx', async () => {
  const playbookId = fc.oneof(
    fc.constantFrom('s1-ransomware-office-laptop', 't-quarantine-host', 's6-traffic-to-sis'),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(pct),
    rawFragment,
  );
  const alert = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.constant(JSON.parse(GENERIC_FIXTURE) as unknown),
    fc
      .tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }))
      .map(([title, host]) => ({ title, severity: 'high', hosts: [{ name: host }] })),
  );
  const dryRunBody = fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc
          .record(
            {
              source: fc.option(
                fc.oneof(
                  fc.constantFrom('generic', 'splunk', 'elastic', 'nozomi', 'constructor', '__proto__'),
                  fc.string({ maxLength: 70 }),
                ),
                { nil: undefined },
              ),
              alert,
            },
            { requiredKeys: ['alert'] },
          )
          .map((b) => Buffer.from(JSON.stringify(b))),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1, max: 30_000 })
          .map((n) => Buffer.from(`{"alert":${'['.repeat(n)}${']'.repeat(n)}}`)),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1, max: 20_000 })
          .map((n) => Buffer.from(`{"alert":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`)),
      },
    )
    .map(body);
  await fc.assert(
    fc.asyncProperty(playbookId, dryRunBody, async (id, { bytes }) => {
      const answer = await send('POST', `/playbooks/${id}/dry-run`, operatorJson, bytes);
      expectWellFormed(answer, `dry-run ${id} ${bytes.subarray(0, 200).toString('utf8')}`);
    }),
    { numRuns: 250 },
  );
}, 300_000);

it('answers arbitrary decision requests for unknown approvals with a JSON 4xx, never a 5xx', async () => {
  // Random approval IDs only: the real pending approval must stay undecided.
  const approvalId = fc.oneof(
    fc.uuid().map((u) => `apr-${u}`),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map(pct),
    rawFragment,
  );
  const decisionBody = fc
    .oneof(
      fc
        .record(
          {
            decision: fc.oneof(fc.constantFrom('approve', 'reject'), fc.string({ maxLength: 10 })),
            reason: fc.string({ unit: 'binary', maxLength: 100 }),
            actionDigest: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('0'.repeat(64))),
            breakGlass: fc.jsonValue({ maxDepth: 1 }),
            justification: fc.string({ maxLength: 50 }),
          },
          { requiredKeys: [] },
        )
        .map((b) => Buffer.from(JSON.stringify(b))),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    )
    .map(body);
  const idempotencyKey = fc.option(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), { nil: undefined });
  await fc.assert(
    fc.asyncProperty(approvalId, decisionBody, idempotencyKey, async (id, { bytes }, key) => {
      const headers = {
        ...operatorJson,
        ...(key === undefined ? {} : { 'idempotency-key': key.replace(/[^\x20-\x7e]/g, '') }),
      };
      const answer = await send('POST', `/approvals/${id}/decision`, headers, bytes);
      expectWellFormed(answer, `decision ${id} ${bytes.subarray(0, 200).toString('utf8')}`);
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }),
    { numRuns: 200 },
  );
  // The incident's approval is still pending.
  await pendingApprovalFor(stack, incidentId, 'alice');
}, 120_000);
