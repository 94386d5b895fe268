/**
 * The HTTP edge as documented (issue 13, items 6 and 7), through the real stack: requests Node
 * refuses before routing answer in the JSON error shape, a JSON charset other than utf-8 is a
 * 415, every presented webhook credential must verify, a delivery beyond
 * `intake.maxAlertsPerDelivery` is refused whole (413) and bad operator input is a 4xx.
 */
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { accepted } from '../support/e2e';
import { API_KEYS, TOKENS, eventually, startStack, type Stack } from '../support/stack';

const ELASTIC_HMAC = 'elastic-edge-hmac-secret-0123';
const MAX_ALERTS = 5;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    configure: (config) => {
      (config.sources as Record<string, unknown>)['elastic'] = { hmacSecret: ELASTIC_HMAC };
      config['intake'] = { maxAlertsPerDelivery: MAX_ALERTS };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface ErrorBody {
  error: { status: number; code: string; message: string; issues?: { path: string; message: string }[] };
}

/** Expects the API's JSON error shape with this status, and returns the error. */
async function expectError(response: Response, status: number): Promise<ErrorBody['error']> {
  const text = await response.text();
  expect({ status: response.status, text }).toEqual({ status, text: expect.any(String) });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error).toEqual(
    expect.objectContaining({ status, code: expect.any(String), message: expect.any(String) }),
  );
  return body.error;
}

/** Writes raw bytes to the API and reads the whole answer until the server closes. */
function rawRequest(bytes: string): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
  });
}

function expectRawError(answer: { status: number; headers: string; body: string }, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers).toMatch(/\r\ncontent-type: application\/json/i);
  expect(JSON.parse(answer.body)).toEqual({
    error: { status, code: expect.any(String), message: expect.any(String) },
  });
}

describe('requests refused before routing', () => {
  it('answers a 20 KB header with a JSON 431', async () => {
    const answer = await rawRequest(
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectRawError(answer, 431);
    expect((JSON.parse(answer.body) as ErrorBody).error.code).toBe('headers_too_large');
    // The same through an ordinary HTTP client.
    const response = await fetch(`${stack.apiUrl}/incidents`, {
      headers: { authorization: `Bearer ${API_KEYS.alice}`, 'x-padding': 'a'.repeat(20_000) },
    });
    await expectError(response, 431);
  });

  it.each([
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['an invalid header name', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /playbooks/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['an invalid Content-Length', 'POST /playbooks/validate HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
  ])('answers %s with a JSON 400', async (_case, bytes) => {
    expectRawError(await rawRequest(bytes), 400);
  });

  it('answers a malformed percent-encoding or an over-long path parameter in the JSON shape', async () => {
    const auth = { headers: { authorization: `Bearer ${API_KEYS.alice}` } };
    expect((await expectError(await fetch(`${stack.apiUrl}/incidents/%E0%A4%A`, auth), 400)).code).toBe('bad_url');
    const long = await fetch(`${stack.apiUrl}/incidents/${'a'.repeat(300)}`, auth);
    expect((await expectError(long, 414)).code).toBe('uri_too_long');
  });
});

describe('Content-Type charset', () => {
  const generic = (id: string) => ({ id, title: 'charset probe', severity: 'low', hosts: [{ name: 'fin-lt-042' }] });

  it.each([
    'application/json; charset=iso-8859-1',
    'application/json;charset="ISO-8859-1"',
    'application/json; charset=utf-16',
    'application/json; charset=utf8',
    'application/json; charset=',
  ])('refuses a webhook sent as %s with a JSON 415', async (type) => {
    const error = await expectError(
      await stack.webhook('generic', generic('charset-refused'), { 'content-type': type }),
      415,
    );
    expect(error.code).toBe('unsupported_media_type');
    expect(error.message).toMatch(/charset/);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json; charset="UTF-8"'])(
    'accepts a webhook sent as %s',
    async (type) => {
      await accepted(await stack.webhook('generic', generic(`charset-${type}`), { 'content-type': type }));
    },
  );

  it('refuses an operator JSON body in another charset with a JSON 415, and accepts utf-8', async () => {
    const post = (type: string) =>
      fetch(`${stack.apiUrl}/playbooks/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEYS.alice}`, 'content-type': type },
        body: JSON.stringify({ playbook: {} }),
      });
    expect((await expectError(await post('application/json; charset=latin1'), 415)).code).toBe(
      'unsupported_media_type',
    );
    expect((await post('application/json; Charset="utf-8"')).status).toBe(200);
  });
});

describe('webhook credentials and the per-delivery alert cap', () => {
  const elasticBody = (uuid: string, host: string) =>
    JSON.stringify({
      rule: 'Edge probe',
      alerts: [
        {
          '@timestamp': '2026-11-20T08:14:03.551Z',
          kibana: { alert: { uuid, severity: 'low', rule: { name: 'Edge probe', uuid: 'edge-rule' } } },
          host: { name: host },
        },
      ],
    });
  const sign = (body: string) => `sha256=${createHmac('sha256', ELASTIC_HMAC).update(body).digest('hex')}`;
  const postElastic = (body: string, headers: Record<string, string>) =>
    fetch(`${stack.apiUrl}/webhooks/elastic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('refuses a valid Elastic signature beside a wrong or unexpected credential (401)', async () => {
    const body = elasticBody('edge-auth-1', 'edge-host-auth');
    for (const extra of [
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${TOKENS.generic}` },
      { authorization: `Basic ${Buffer.from('kibana:x').toString('base64')}` },
    ]) {
      const error = await expectError(await postElastic(body, { 'x-interlock-signature': sign(body), ...extra }), 401);
      expect(error.code).toBe('unauthorized');
    }
    await expectError(
      await fetch(`${stack.apiUrl}/webhooks/elastic?token=x`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-interlock-signature': sign(body) },
        body,
      }),
      401,
    );
    await accepted(await postElastic(body, { 'x-interlock-signature': sign(body) }));
  });

  it('refuses a right token beside a wrong or unexpected signature on a token source (401)', async () => {
    const body = JSON.stringify(generic('auth-token-sig'));
    await expectError(await stack.webhook('generic', body, { 'x-interlock-signature': sign(body) }), 401);
    await expectError(await stack.webhook('generic', body, { 'x-interlock-signature': 'sha256=00' }), 401);
    const splunk = await fetch(`${stack.apiUrl}/webhooks/splunk?token=wrong`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.splunk}` },
      body: JSON.stringify({ result: { signature: 'x' } }),
    });
    await expectError(splunk, 401);
  });

  function generic(id: string) {
    return { id, title: 'auth probe', severity: 'low', hosts: [{ name: 'fin-lt-042' }] };
  }

  it(`refuses a delivery of more than intake.maxAlertsPerDelivery (${MAX_ALERTS}) alerts whole, with a 413`, async () => {
    const alert = (i: number, prefix: string) => ({
      '@timestamp': '2026-11-20T08:14:03.551Z',
      kibana: {
        alert: {
          uuid: `${prefix}-${i}`,
          severity: 'low',
          rule: { name: `Cap probe ${prefix}`, uuid: `cap-${prefix}` },
        },
      },
      host: { name: `${prefix}-host-${i}` },
    });
    const delivery = (count: number, prefix: string) =>
      JSON.stringify({ rule: 'Cap probe', alerts: Array.from({ length: count }, (_, i) => alert(i, prefix)) });

    const refused = delivery(MAX_ALERTS + 1, 'over');
    const error = await expectError(await postElastic(refused, { 'x-interlock-signature': sign(refused) }), 413);
    expect(error.code).toBe('too_many_alerts');
    expect(error.message).toContain(`${MAX_ALERTS + 1} alerts`);
    expect(error.message).toContain(`limit is ${MAX_ALERTS}`);

    const atLimit = delivery(MAX_ALERTS, 'at');
    const ok = (await (await postElastic(atLimit, { 'x-interlock-signature': sign(atLimit) })).json()) as {
      alerts?: { incidentId: string }[];
    };
    expect(ok.alerts).toHaveLength(MAX_ALERTS);
    // The accepted delivery's incidents appear; the refused one's never do (neither in Temporal nor the audit).
    for (const { incidentId } of ok.alerts ?? [])
      await eventually(
        async () =>
          (await stack.api(`/incidents/${incidentId}`, { operator: 'alice' })).status === 200 ? true : undefined,
        `incident ${incidentId}`,
      );
    for (let i = 0; i <= MAX_ALERTS; i++) {
      const dryRun = await stack.api('/playbooks/t-quarantine-host/dry-run', {
        operator: 'alice',
        method: 'POST',
        body: { source: 'elastic', alert: { rule: 'Cap probe', alerts: [alert(i, 'over')] } },
      });
      const { incidentId } = (await dryRun.json()) as { incidentId: string };
      expect(incidentId).toMatch(/^inc-/);
      expect((await stack.api(`/incidents/${incidentId}`, { operator: 'alice' })).status).toBe(404);
    }
  });
});

describe('operator input', () => {
  it.each([
    'from=0000-01-01T00:00:00Z',
    'to=0000-12-31T23:59:59Z',
    'from=0001-01-01T00:00:00%2B14:00',
    'from=9999-12-31T23:59:59-23:59',
    'zone=a%00b',
    'source=%00',
  ])('refuses GET /incidents?%s with a 400 naming the field', async (query) => {
    const error = await expectError(await stack.api(`/incidents?${query}`, { operator: 'alice' }), 400);
    const field = query.split('=', 1)[0];
    expect(error.issues?.map((i) => i.path)).toContain(field);
  });

  it('accepts the widest documented range and other offsets, compared as UTC instants', async () => {
    for (const query of [
      'from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z',
      'from=2026-01-01T00:00:00%2B15:30&to=2026-01-02T00:00:00-15:59',
    ]) {
      const response = await stack.api(`/incidents?${query}`, { operator: 'alice' });
      expect({ query, status: response.status }).toEqual({ query, status: 200 });
    }
  });

  it('refuses an alias bomb posted to POST /playbooks/validate with a JSON 422 naming the limit', async () => {
    let yaml = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 0, prev = 'a'; i < 9; prev = `n${i}`, i++)
      yaml += `n${i}: &n${i} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    const started = Date.now();
    const response = await stack.api('/playbooks/validate', { operator: 'alice', method: 'POST', body: { yaml } });
    const error = await expectError(response, 422);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('yaml_limit_exceeded');
    expect(error.issues).toEqual([{ path: 'yaml', message: expect.stringMatching(/alias/) }]);
    // An ordinary YAML mistake is still judged, not refused.
    const judged = await stack.api('/playbooks/validate', {
      operator: 'alice',
      method: 'POST',
      body: { yaml: 'id: *undefined\n' },
    });
    expect(judged.status).toBe(200);
    expect(await judged.json()).toMatchObject({ valid: false, issues: [{ path: '(yaml)' }] });
  });
});

describe('OpenAPI', () => {
  it('describes these refusals as the code answers them', async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/docs-json`)).json()) as {
      info: { description: string };
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const responses = (path: string, method: string) => doc.paths[path]?.[method]?.responses ?? {};
    const webhook = responses('/webhooks/{source}', 'post');
    expect(webhook['413']?.description).toContain('too_many_alerts');
    expect(webhook['413']?.description).toContain('intake.maxAlertsPerDelivery');
    expect(webhook['415']?.description).toMatch(/charset.*utf-8/);
    expect(webhook['401']?.description).toContain('every credential presented must verify');
    const validate = responses('/playbooks/validate', 'post');
    expect(validate['422']?.description).toContain('yaml_limit_exceeded');
    expect(validate['415']?.description).toContain('charset');
    expect(validate['400']?.description).toContain('too_deeply_nested');
    expect(responses('/incidents', 'get')['400']?.description).toContain('0001-01-01T00:00:00Z');
    expect(doc.info.description).toMatch(/431 headers_too_large/);
  });
});
