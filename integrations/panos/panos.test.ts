/**
 * The PAN-OS connector against its stub: the documented XML API requests, the pre-change read,
 * the post-check after an interrupted attempt, and the conformance behaviours every connector
 * has (403 → IntegrationMisconfigured naming it, 404 → IntegrationRejected, 429 Retry-After,
 * 5xx backoff, timeouts, response validation, no credentials in errors, logs or recordings).
 */
import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/activity';
import { enforce, observe } from '../../src/activities/enforcement';
import { describeConformance } from '../../test/connectors/conformance';
import type { PolicyDecision } from '../../src/policy/types';
import { Connectors, IntegrationError, PanosClient, type PanosConfig } from '../index';
import { startPanosStub, type PanosStub } from './panos.stub';
import { parseXml, XmlError } from './xml';

const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 3_000 };
const TAG = 'interlock-quarantine';

/**
 * The shared conformance suite. Every PAN-OS call goes to the one `/api/` endpoint, and the suite
 * injects failures by path, so its subject is the action whose execution is a single call:
 * remote.end_sessions at the engine's enforcement point. The quarantine's pre-change read,
 * registration and post-check get the same behaviours below, request by request.
 */
describeConformance({
  connector: 'panos',
  async start() {
    const stub = await startPanosStub();
    return { stub, config: { baseUrl: stub.url, apiKey: stub.apiKey }, secrets: [stub.apiKey] };
  },
  configure: (config) => {
    config['enforcementPoints'] = [
      { id: 'fw-dmz', kind: 'firewall', integration: 'panos', protects: ['line1-cell'], side: 'it-dmz', zone: 'dmz' },
    ];
  },
  action: { type: 'remote.end_sessions', target: '10.30.9.9', params: { toward: 'plc-7' } },
  changePath: '/api/',
  validatedRead: { path: '/api/', via: 'execute', malformed: '<response status="success"><result>' },
});

let stub: PanosStub;

beforeEach(async () => {
  stub = await startPanosStub({ vsys: ['vsys1', 'vsys2'] });
});
afterEach(async () => {
  await stub.close();
});

function config(overrides: Partial<PanosConfig> = {}): PanosConfig {
  return {
    baseUrl: stub.url,
    timeout: 5_000,
    apiKey: stub.apiKey,
    tag: TAG,
    vsys: 'vsys1',
    quarantineTimeout: 3_600_000,
    ...overrides,
  };
}

const client = (overrides: Partial<PanosConfig> = {}) => new PanosClient(config(overrides), { retry: FAST_RETRY });

async function caught(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IntegrationError)) throw new Error(`expected an IntegrationError, got ${inspect(error)}`);
  return error;
}

/** The form body of a recorded call: type, cmd and vsys. */
const form = (i: number) => stub.calls[i]?.body as { type: string; cmd: string; vsys: string };

function decision(
  type: PolicyDecision['action']['type'],
  params: Record<string, unknown> = {},
  containment?: PolicyDecision['containment'],
): PolicyDecision {
  return {
    outcome: 'auto',
    rule: 'rule-2-auto-it',
    reason: 'test',
    target: { ref: '10.30.5.42', ips: ['10.30.5.42'], known: true, domain: 'it', edr: {} },
    affected: [],
    action: { type, target: '10.30.5.42', params },
    actionDigest: 'd'.repeat(64),
    enforcementPoint: containment === undefined ? 'panos:vsys1' : `panos:${containment.vdom}@fw-dmz`,
    ...(containment === undefined ? {} : { containment }),
  } as unknown as PolicyDecision;
}

const atDmz = {
  enforcementPointId: 'fw-dmz',
  side: 'it-dmz' as const,
  integration: 'panos',
  vdom: 'vsys2',
  protectedZone: 'line1-cell',
  blockedIp: '10.30.5.42',
};

const connectors = (overrides: Partial<PanosConfig> = {}) =>
  new Connectors({ panos: config(overrides) }, { panos: { retry: FAST_RETRY } });

describe('PanosClient', () => {
  it('registers the address with the tag and its timeout through the User-ID API, no commit', async () => {
    const result = await client().quarantineIp('10.30.5.42');
    expect(result).toEqual({ ip: '10.30.5.42', action: 'quarantine', vsys: 'vsys1', tag: TAG, timeoutSeconds: 3600 });
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]).toMatchObject({ method: 'POST', path: '/api/', status: 200 });
    expect(form(0)).toEqual({
      type: 'user-id',
      vsys: 'vsys1',
      cmd:
        '<uid-message><type>update</type><payload><register><entry ip="10.30.5.42"><tag>' +
        `<member timeout="3600">${TAG}</member></tag></entry></register></payload></uid-message>`,
    });
    expect(stub.tagsOf('10.30.5.42')).toEqual([{ tag: TAG, timeout: 3600, expiresAt: expect.any(Number) }]);
    expect(stub.calls.some((c) => c.path.includes('commit') || JSON.stringify(c.body).includes('commit'))).toBe(false);
  });

  it('uses an explicit timeout and refuses one outside 1 s .. 30 days without calling', async () => {
    await client().quarantineIp('10.30.5.42', 600);
    expect(stub.tagsOf('10.30.5.42')[0]?.timeout).toBe(600);
    for (const bad of [0, -1, 1.5, 2_592_001]) {
      expect(await caught(client().quarantineIp('10.30.5.43', bad))).toMatchObject({ kind: 'invalid-input' });
    }
    expect(stub.calls).toHaveLength(1);
  });

  it('reads the registered tags (rule 10 pre-change state) per vsys', async () => {
    expect(await client().registration('10.30.5.42')).toEqual({
      ip: '10.30.5.42',
      vsys: 'vsys1',
      tags: [],
      quarantined: false,
    });
    await client().quarantineIp('10.30.5.42');
    expect(await client().registration('10.30.5.42')).toMatchObject({ tags: [TAG], quarantined: true });
    expect(await client({ vsys: 'vsys2' }).registration('10.30.5.42')).toMatchObject({ quarantined: false });
    expect(form(2)).toEqual({
      type: 'op',
      vsys: 'vsys1',
      cmd: '<show><object><registered-ip><ip>10.30.5.42</ip></registered-ip></object></show>',
    });
  });

  it('unregisters only its own tag: other tags on the address stay', async () => {
    await client({ tag: 'partner-tag' }).quarantineIp('10.30.5.42');
    await client().quarantineIp('10.30.5.42');
    await client().releaseIp('10.30.5.42');
    expect(stub.tagsOf('10.30.5.42').map((t) => t.tag)).toEqual(['partner-tag']);
    expect(form(2).cmd).toBe(
      `<uid-message><type>update</type><payload><unregister><entry ip="10.30.5.42"><tag><member>${TAG}</member></tag></entry></unregister></payload></uid-message>`,
    );
    // Releasing an address that is not tagged succeeds.
    await expect(client().releaseIp('10.30.5.99')).resolves.toMatchObject({ action: 'release' });
  });

  it('ends the sessions from an address with clear session filtered by source', async () => {
    stub.openSessions('10.30.5.42', 3);
    stub.openSessions('10.30.5.43', 2);
    const result = await client().clearSessions('10.30.5.42');
    expect(result).toEqual({ ip: '10.30.5.42', vsys: 'vsys1', message: '3 sessions cleared' });
    expect(form(0)).toMatchObject({
      type: 'op',
      cmd: '<clear><session><all><filter><source>10.30.5.42</source></filter></all></session></clear>',
    });
    expect([stub.sessionsFrom('10.30.5.42'), stub.sessionsFrom('10.30.5.43')]).toEqual([0, 2]);
  });

  it('canonicalizes addresses and refuses ambiguous forms without calling', async () => {
    await expect(client().quarantineIp('::ffff:10.0.0.5')).resolves.toMatchObject({ ip: '10.0.0.5' });
    await expect(client().quarantineIp('2001:DB8:0:0::1')).resolves.toMatchObject({ ip: '2001:db8::1' });
    for (const bad of ['10.1', '0x0a.0.0.1', '10.0.0.0/8', '"><x/>']) {
      await expect(client().quarantineIp(bad)).rejects.toMatchObject({ kind: 'invalid-input' });
    }
    expect(stub.calls).toHaveLength(2);
  });

  it('reports <response status="error"> inside an HTTP 200 clearly (an unknown vsys)', async () => {
    const error = await caught(client({ vsys: 'vsys9' }).quarantineIp('10.30.5.42'));
    expect(error).toMatchObject({ integration: 'panos', kind: 'vendor-error', retryable: false });
    expect(error.message).toContain('register failed with status "error"');
    expect(error.message).toContain('vsys vsys9 does not exist');
  });

  it('refuses answers that are not a well-formed PAN-OS response', async () => {
    for (const body of [
      '<html>login</html>',
      '<response status="success"><result>',
      '<!DOCTYPE x [<!ENTITY a "b">]><response status="success"/>',
      '<response status="maybe"/>',
      '<response status="success"><result><entry><tag><member>x</member></tag></entry></result></response>',
    ]) {
      stub.failNext(200, 1, { 'content-type': 'application/xml' }, { body });
      expect(await caught(client().registration('10.30.5.42'))).toMatchObject({ kind: 'invalid-response' });
    }
  });

  it('retries a 429 after its Retry-After, and 5xx with backoff before failing', async () => {
    stub.failNext(429, 1, { 'retry-after': '1' });
    const started = Date.now();
    await client().quarantineIp('10.30.5.42');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stub.calls.map((c) => c.status)).toEqual([429, 200]);

    stub.reset();
    stub.failNext(503, 3);
    const error = await caught(client().quarantineIp('10.30.5.42'));
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(stub.calls.map((c) => c.status)).toEqual([503, 503, 503]);
  });

  it('times out a call that does not answer', async () => {
    stub.delayNext(1_000);
    const error = await caught(client({ timeout: 200 }).quarantineIp('10.30.5.42'));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('sends the key only in X-PAN-KEY, and never lets it reach errors, logs or recordings', async () => {
    const badKey = 'LUFRPT1ub3QtdGhlLWtleS0zMTMzNw==';
    const warnings: unknown[] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
    const error = await caught(
      new PanosClient(config({ apiKey: badKey }), { retry: FAST_RETRY, logger }).quarantineIp('10.30.5.42'),
    );
    expect(error).toMatchObject({ integration: 'panos', status: 403, retryable: false });
    stub.failNext(502, 1);
    await new PanosClient(config(), { retry: FAST_RETRY, logger }).quarantineIp('10.30.5.42');
    const seen = `${error.message} ${inspect(error, { depth: 10 })} ${JSON.stringify(warnings)} ${JSON.stringify(stub.calls)}`;
    expect(warnings).toHaveLength(1);
    expect(seen).not.toContain(badKey);
    expect(seen).not.toContain(stub.apiKey);
    expect(stub.calls.every((c) => !('key' in c.query) && c.headers['x-pan-key'] === undefined)).toBe(true);
  });
});

describe('PAN-OS actions through enforce()', () => {
  it('quarantines with the pre-change read recorded, on the vsys of the chosen enforcement point', async () => {
    const result = await enforce(decision('contain.source', { expirySeconds: 900 }, atDmz), connectors());
    expect(result.summary).toBe(`panos quarantine of 10.30.5.42 (tag ${TAG}) at fw-dmz (it-dmz, vsys vsys2)`);
    expect(result.details).toMatchObject({
      vsys: 'vsys2',
      timeoutSeconds: 900,
      enforcementPointId: 'fw-dmz',
      preChange: { ip: '10.30.5.42', vsys: 'vsys2', tags: [], quarantined: false },
    });
    expect(stub.tagsOf('10.30.5.42', 'vsys2')).toEqual([expect.objectContaining({ tag: TAG, timeout: 900 })]);
    expect(stub.tagsOf('10.30.5.42', 'vsys1')).toEqual([]);
  });

  it('ends sessions at the chosen point (remote.end_sessions)', async () => {
    stub.openSessions('10.30.5.42', 4);
    const result = await enforce(decision('remote.end_sessions', { toward: 'plc-7' }, atDmz), connectors());
    expect(result.summary).toBe('panos sessions from 10.30.5.42 ended at fw-dmz (it-dmz) on vsys vsys2');
    expect(stub.sessionsFrom('10.30.5.42')).toBe(0);
  });

  it('fails a 403 as IntegrationMisconfigured naming panos, and a 404 as IntegrationRejected', async () => {
    const denied = await enforce(decision('firewall.quarantine_ip'), connectors({ apiKey: 'wrong-key' })).catch(
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(ApplicationFailure);
    expect(denied).toMatchObject({ type: 'IntegrationMisconfigured', nonRetryable: true });
    expect((denied as Error).message).toContain('integration panos');
    expect((denied as Error).message).not.toContain('wrong-key');

    stub.failNext(404, 5);
    const missing = await enforce(decision('firewall.quarantine_ip'), connectors()).catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'IntegrationRejected', nonRetryable: true });
  });

  it('finds a registration already in place after an interrupted attempt, and does not register twice', async () => {
    const quarantine = decision('firewall.quarantine_ip');
    const held = stub.holdNext({ match: (r) => r.rawBody.includes('type=user-id') });
    const interrupted = enforce(quarantine, connectors({ timeout: 300 })).catch((e: unknown) => e);
    await held.received;
    expect(await interrupted).toMatchObject({ message: expect.stringContaining('timed out') });
    held.release();

    const found = await observe(quarantine, connectors(), { startedAt: new Date() });
    expect(found?.summary).toContain('found in place after an interrupted attempt');
    expect(found?.details).toMatchObject({ action: 'quarantine', recovered: true, observed: { quarantined: true } });
    expect(stub.calls.filter((c) => (c.body as { type?: string }).type === 'user-id')).toHaveLength(1);

    // A release not yet made is not found; once made, it is.
    const release = decision('firewall.release_ip');
    expect(await observe(release, connectors(), { startedAt: new Date() })).toBeUndefined();
    await enforce(release, connectors());
    expect(await observe(release, connectors(), { startedAt: new Date() })).toMatchObject({
      details: { action: 'release' },
    });
    // An extension is always made again (only that restarts the timeout).
    expect(await observe(decision('firewall.extend_quarantine'), connectors(), { startedAt: new Date() })).toBe(
      undefined,
    );
  });
});

describe('the XML reader', () => {
  it('reads elements, attributes, entities and CDATA', () => {
    const root = parseXml(
      '<?xml version="1.0"?><!-- c --><response status="success"><result><msg a=\'1 &amp; 2\'>x &lt; y<![CDATA[ <z> ]]></msg><e/></result></response>',
    );
    expect(root).toMatchObject({ name: 'response', attributes: { status: 'success' } });
    expect(root.children[0]?.children[0]).toMatchObject({ attributes: { a: '1 & 2' }, text: 'x < y <z>' });
  });

  it.each([
    '<a><b></a></b>',
    '<a>',
    '<a></a><b/>',
    'text<a/>',
    '<a x=1/>',
    '<a x="1" x="2"/>',
    '<a>&ent;</a>',
    '<!DOCTYPE a><a/>',
    '<?pi x?><a/>',
    '',
    `${'<a>'.repeat(70)}${'</a>'.repeat(70)}`,
  ])('refuses %p', (input) => {
    expect(() => parseXml(input)).toThrow(XmlError);
  });
});
