/**
 * The conformance behaviours every EDR connector shows through enforcement (src/activities/
 * enforcement.ts), against its vendor stub, with decisions of the real policy engine: refused
 * credentials or permissions fail as IntegrationMisconfigured naming the connector, an unknown
 * host as IntegrationRejected, 429 waits for Retry-After, 5xx is retried then fails, a slow
 * vendor times out, a malformed response fails clearly, the post-check finds a change in place
 * so it is not made twice, and the credential never shows in errors, logs or audit details.
 */
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe } from '../../src/activities/enforcement';
import type { PolicyDecision } from '../../src/policy/types';
import type { Connectors } from '../../integrations';
import type { StubServer } from '../stubs/recording-server';

export interface EdrHarness {
  /** The connector ID (enforcement point). */
  id: string;
  /** The credential that must never leak. */
  secret: string;
  stub: StubServer;
  connectors: Connectors;
  /** Connectors whose vendor refuses the credential (wrong secret or token). */
  refusedConnectors: Connectors;
  /** What the retry logger was told. */
  logs: unknown[];
  decide(action: ActionRequest): PolicyDecision;
  /** A host the vendor knows (inventory asset or name), contained by these tests. */
  host: string;
  /** A host in an IT zone whose EDR is this connector, unknown to the vendor. */
  unknownHost: string;
  /** Path of the containment write, and of the read the lookup starts with. */
  containPath: string;
  readPath: string;
  /** A 200 body for `readPath` that breaks the documented schema. */
  malformedRead: unknown;
  /** Whether the host is contained at the vendor right now. */
  contained(): boolean;
}

const ok = (calls: { status: number }[]) => calls.filter((c) => c.status < 300);

export function describeEdrConformance(name: string, harness: () => EdrHarness): void {
  describe(`${name}: EDR conformance through enforce() / observe()`, () => {
    let h: EdrHarness;
    const contain = (): ActionRequest => ({ type: 'edr.contain_host', target: h.host, params: {} });
    const release = (): ActionRequest => ({ type: 'edr.release_host', target: h.host, params: {} });

    beforeEach(async () => {
      h = harness();
      h.stub.reset();
      if (h.contained()) await enforce(h.decide(release()), h.connectors);
      h.stub.reset();
    });
    afterEach(() => h.stub.reset());

    it('the policy names this connector as the enforcement point', () => {
      expect(h.decide(contain()).enforcementPoint).toBe(h.id);
    });

    it('refused credentials fail as IntegrationMisconfigured naming the connector, without the secret', async () => {
      const error = await enforce(h.decide(contain()), h.refusedConnectors).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'IntegrationMisconfigured', nonRetryable: true });
      expect((error as Error).message).toContain(h.id);
      expect((error as Error).message).not.toContain(h.secret);
      expect(h.contained()).toBe(false);
    });

    it('a permission the vendor refuses (403) fails as IntegrationMisconfigured naming the connector', async () => {
      h.stub.failNext(403, 1, {}, { path: h.containPath });
      const error = await enforce(h.decide(contain()), h.connectors).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'IntegrationMisconfigured' });
      expect((error as Error).message).toMatch(new RegExp(`${h.id}.*HTTP 403`));
      expect(h.contained()).toBe(false);
    });

    it('a host the vendor does not know fails as IntegrationRejected (not found), nothing changed', async () => {
      const decision = h.decide({ type: 'edr.contain_host', target: h.unknownHost, params: {} });
      expect(decision.enforcementPoint).toBe(h.id);
      const error = await enforce(decision, h.connectors).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'IntegrationRejected', nonRetryable: true });
      expect((error as Error).message).toMatch(/not found at .*no host/);
      expect(ok(h.stub.callsTo(h.containPath))).toHaveLength(0);
    });

    it('429 with Retry-After is retried after the wait', async () => {
      h.stub.failNext(429, 1, { 'retry-after': '1' }, { path: h.readPath });
      const started = Date.now();
      await enforce(h.decide(contain()), h.connectors);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(h.contained()).toBe(true);
      expect(h.stub.callsTo(h.readPath).map((c) => c.status)[0]).toBe(429);
    });

    it('5xx is retried with backoff, then fails as retryable (Temporal retries the activity)', async () => {
      h.stub.failNext(503, 20, {}, { path: h.readPath });
      const error = await enforce(h.decide(contain()), h.connectors).catch((e: unknown) => e);
      expect(error).toMatchObject({ integration: h.id, status: 503, retryable: true });
      expect(h.stub.callsTo(h.readPath)).toHaveLength(4); // the call and 3 retries
      expect(h.contained()).toBe(false);
      expect(JSON.stringify(h.logs)).toContain('503');
    });

    it('a vendor slower than the timeout fails as a retryable timeout', async () => {
      h.stub.delayNext(3_000, { path: h.readPath });
      const error = await enforce(h.decide(contain()), h.connectors, { signal: AbortSignal.timeout(500) }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    });

    it('a malformed response fails clearly, not as a success', async () => {
      h.stub.failNext(200, 1, {}, { path: h.readPath, body: h.malformedRead });
      const error = await enforce(h.decide(contain()), h.connectors).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'IntegrationRejected' });
      expect((error as Error).message).toMatch(/unexpected .* response/);
      expect(h.contained()).toBe(false);
    });

    it('observe: not in place before, found after an interrupted attempt, and not requested twice', async () => {
      const decision = h.decide(contain());
      const call = { ledgerKey: 'wf:run:contain', startedAt: new Date() };
      expect(await observe(decision, h.connectors, call)).toBeUndefined();
      await enforce(decision, h.connectors, { ledgerKey: call.ledgerKey });
      expect(ok(h.stub.callsTo(h.containPath))).toHaveLength(1);
      const found = await observe(decision, h.connectors, call);
      expect(found?.summary).toMatch(/found in place after an interrupted attempt/);
      expect(found?.details).toMatchObject({ recovered: true });
      // Carried out again anyway (e.g. a replayed step): read first, nothing requested.
      const again = await enforce(decision, h.connectors);
      expect(again.details).toMatchObject({ alreadyInPlace: true });
      expect(ok(h.stub.callsTo(h.containPath))).toHaveLength(1);

      const undo = h.decide(release());
      expect(await observe(undo, h.connectors, call)).toBeUndefined();
      await enforce(undo, h.connectors);
      expect(h.contained()).toBe(false);
      expect(await observe(undo, h.connectors, call)).toMatchObject({ details: { recovered: true } });
    });

    it('a call answered too late: the change was made, the retry finds it in place', async () => {
      const held = h.stub.holdNext({ path: h.containPath });
      const decision = h.decide(contain());
      const attempt = enforce(decision, h.connectors, { signal: AbortSignal.timeout(1_000) }).catch((e: unknown) => e);
      await held.received;
      expect(await attempt).toMatchObject({ kind: 'timeout' });
      held.release();
      expect(h.contained()).toBe(true);
      const found = await observe(decision, h.connectors, { ledgerKey: 'k', startedAt: new Date() });
      expect(found).toBeDefined();
      expect(ok(h.stub.callsTo(h.containPath))).toHaveLength(1);
    });

    it('the credential is never in results, errors, logs or what the vendor recorded', async () => {
      const result = await enforce(h.decide(contain()), h.connectors);
      h.stub.failNext(500, 20);
      const error = await enforce(h.decide(release()), h.connectors).catch((e: unknown) => e);
      const texts = [
        JSON.stringify(result),
        String(error),
        JSON.stringify(error),
        JSON.stringify(h.logs),
        JSON.stringify(h.stub.calls),
      ];
      for (const text of texts) expect(text).not.toContain(h.secret);
    });
  });
}
