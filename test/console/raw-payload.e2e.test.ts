/**
 * The raw payload of an alert (issue 17, incident page) through the real stack (API and worker
 * processes, Temporal, PostgreSQL): a webhook body is stored encrypted before the 202, once
 * however often it is re-delivered; the incident page shows it escaped (hostile text stays
 * text), pretty-printed, with its SHA-256 checked against the audited one; the API route and
 * the evidence bundle return the exact bytes.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { accepted, auditOf } from '../support/e2e';
import { API_KEYS, ENCRYPTION_KEY, startStack, type Stack } from '../support/stack';

const HOSTILE = `<img src=x id=pwn onerror="window.pwned=1"><script>window.pwned=2</script> "quoted" & 'single'`;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** A console session's cookie, signed in with the operator's API key through the form. */
async function sessionCookie(operator: keyof typeof API_KEYS): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/console/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ apiKey: API_KEYS[operator] }).toString(),
    redirect: 'manual',
  });
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  if (cookie === undefined) throw new Error('no session cookie');
  return cookie;
}

async function rows(sha256: string) {
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    return (
      await db.query<{ key_id: string | null; body: Buffer; size: number }>(
        'SELECT key_id, body, size FROM alert_raw_bodies WHERE sha256 = $1',
        [sha256],
      )
    ).rows;
  } finally {
    await db.end();
  }
}

it('stores the body of an accepted webhook, shows it escaped on the incident page, and serves the exact bytes', async () => {
  // The exact bytes a SIEM sent: a 20-digit number and key order a JSON round trip would change.
  const text = `{"id":"raw-payload-1","title":${JSON.stringify(HOSTILE)},"severity":"low","count":12345678901234567890,"rule":{"id":"no-playbook-has-this"},"hosts":[{"name":"fin-lt-042","ip":"10.30.5.42"}]}`;
  const sha256 = createHash('sha256').update(text).digest('hex');
  const deliver = () => stack.webhook('generic', text);
  const { incidentId } = await accepted(await deliver());
  // Stored before the 202, sealed with the stack's payload-encryption key.
  const [stored] = await rows(sha256);
  expect(stored).toMatchObject({ key_id: ENCRYPTION_KEY.id, size: Buffer.byteLength(text) });
  expect(stored?.body.includes(Buffer.from('raw-payload-1'))).toBe(false);
  // A duplicate storm of the same bytes: still one row.
  for (const answer of await Promise.all(Array.from({ length: 20 }, deliver))) await accepted(answer);
  expect(await rows(sha256)).toHaveLength(1);
  await auditOf(stack, incidentId, (records) => records.some((r) => r.trigger?.rawSha256 === sha256));

  const cookie = await sessionCookie('alice');
  const page = await fetch(`${stack.apiUrl}/console/incidents/${incidentId}`, { headers: { Cookie: cookie } });
  expect(page.status).toBe(200);
  const html = await page.text();
  const block = html.match(/<details class="raw-payload"[\s\S]*?<\/details>/)?.[0] ?? '';
  expect(block).toContain('data-raw-state="stored"><summary>Raw payload (JSON,');
  expect(block).toContain('SHA-256 <b class="ok">matches</b> the audited hash');
  expect(block).toContain(`encrypted at rest (key ${ENCRYPTION_KEY.id})`);
  expect(block).toContain('  &quot;count&quot;: 12345678901234567890,');
  expect(block).toContain('&lt;img src=x id=pwn onerror=\\&quot;window.pwned=1\\&quot;&gt;&lt;script&gt;');
  expect(block).not.toMatch(/<img|<script/);

  // The console's download: the stored bytes, as an attachment that nothing renders.
  const download = await fetch(`${stack.apiUrl}/console/incidents/${incidentId}/raw-bodies/${sha256}`, {
    headers: { Cookie: cookie },
  });
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('application/octet-stream');
  expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${sha256}.json"`);
  expect(await download.text()).toBe(text);

  // The API: an operator's key, as the other incident reads.
  const api = await stack.api(`/incidents/${incidentId}/raw-bodies/${sha256}`, { operator: 'omar' });
  expect(api.status).toBe(200);
  expect(await api.json()).toMatchObject({
    incidentId,
    sha256,
    source: 'generic',
    size: Buffer.byteLength(text),
    storedBytes: Buffer.byteLength(text),
    truncated: false,
    encryptedWith: ENCRYPTION_KEY.id,
    sha256Matches: true,
    text,
    bodyBase64: Buffer.from(text).toString('base64'),
  });
  expect((await stack.api(`/incidents/${incidentId}/raw-bodies/${'0'.repeat(64)}`, { operator: 'alice' })).status).toBe(
    404,
  );
  expect((await stack.api(`/incidents/${incidentId}/raw-bodies/not-a-hash`, { operator: 'alice' })).status).toBe(400);
  expect(
    (await stack.api(`/incidents/${incidentId}/raw-bodies/${sha256}`, { apiKey: 'not-a-key-0123456789' })).status,
  ).toBe(401);

  // The evidence bundle carries the bytes, which hash to the audited value.
  const evidence = (await (await stack.api(`/incidents/${incidentId}/evidence`, { operator: 'alice' })).json()) as {
    rawBodies: { sha256: string; stored: boolean; bodyBase64: string; sha256Matches: boolean }[];
  };
  expect(evidence.rawBodies).toEqual([expect.objectContaining({ sha256, stored: true, sha256Matches: true })]);
  const bytes = Buffer.from(evidence.rawBodies[0]?.bodyBase64 ?? '', 'base64');
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
}, 120_000);
