/**
 * The connector conformance suite: what every connector does the same way, checked against its
 * stub speaking the vendor's documented API, through the real execution path (the policy engine's
 * decision, then enforce/observe of src/activities/enforcement.ts):
 *
 * - authentication works, and an OAuth2 token is fetched again once the vendor drops it;
 * - 401 and 403 fail as a configuration error (IntegrationMisconfigured) naming the integration;
 * - 404 (unknown device, address, account) fails as a clear, permanent IntegrationRejected;
 * - 429 with Retry-After is retried after the wait; 5xx is retried with backoff, then fails as
 *   retryable; a vendor slower than the configured timeout fails as a retryable timeout;
 * - a response that is not what the vendor documents is refused (zod), not trusted;
 * - under the action ledger an action is made once: after it, the post-check finds it in place;
 * - credentials appear in no error message and no recorded detail.
 *
 * A connector's test calls describeConformance with a ConformanceSubject (see connectors.test.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActionRequest } from '../../src/actions/catalog';
import { enforce, observe, type EnforcementResult } from '../../src/activities/enforcement';
import { parseConfig } from '../../src/config/load';
import type { InterlockConfig } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { Connectors, IntegrationError } from '../../integrations';
import type { StubServer } from '../stubs/recording-server';
import { EXAMPLE, EXAMPLE_ENV } from '../support/example-config';

export interface ConformanceStub {
  stub: StubServer;
  /** `integrations.<connector>` pointing at the stub. */
  config: Record<string, unknown>;
  /** Every credential in that configuration (none may leak). */
  secrets: string[];
  /** For OAuth2 vendors: invalidate the issued tokens (as if they expired at the vendor). */
  revokeTokens?: () => void;
  /** For OAuth2 vendors: how many tokens the stub has issued. */
  tokensIssued?: () => number;
}

export interface ConformanceSubject {
  connector: string;
  /** The vendor authenticates with OAuth2 client credentials (the stub counts and revokes tokens). */
  oauth2?: boolean;
  start(): Promise<ConformanceStub>;
  /** An action the connector carries out on a target the stub knows. */
  action: ActionRequest;
  /** Inventory additions the action needs (e.g. the asset's agent ID), applied to the example config. */
  configure?: (config: Record<string, unknown> & { assets: Record<string, unknown>[] }) => void;
  /** Path prefix of the vendor call that makes the change (failures are injected there). */
  changePath: string;
  /** A read the connector validates (pre-change read or post-check), and which of the two reads it. */
  validatedRead?: { path: string; via: 'execute' | 'observe'; malformed?: unknown };
}

/** Retries fast in tests: same policy (exponential backoff, Retry-After honoured), smaller steps. */
const FAST_RETRY = { retries: 2, baseDelayMs: 20, maxDelayMs: 5_000 };

function configFor(subject: ConformanceSubject, stub: ConformanceStub, timeout?: number): InterlockConfig {
  const base = parseConfig(EXAMPLE, EXAMPLE_ENV);
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown> & { assets: Record<string, unknown>[] };
  subject.configure?.(raw);
  const config = parseConfig(JSON.stringify({ ...raw, integrations: {} }), {});
  const connectorConfig = { ...stub.config, ...(timeout === undefined ? {} : { timeout }) };
  return { ...config, integrations: { [subject.connector]: connectorConfig } };
}

function setup(subject: ConformanceSubject, stub: ConformanceStub, timeout?: number) {
  const raw = configFor(subject, stub, timeout);
  // The connector's own schema fills its defaults, as loading the configuration does.
  const parsed = parseConfig(JSON.stringify({ ...raw, integrations: raw.integrations }), {});
  const engine = new PolicyEngine(parsed);
  const connectors = new Connectors(parsed.integrations, { [subject.connector]: { retry: FAST_RETRY } });
  const decision = engine.decide(subject.action);
  return { decision, connectors };
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function text(value: unknown): string {
  if (value instanceof Error) return `${value.message} ${JSON.stringify(value)}`;
  // A post-check that finds nothing (or an action without one) answers undefined.
  return JSON.stringify(value) ?? String(value);
}

export function describeConformance(subject: ConformanceSubject): void {
  describe(`${subject.connector} connector conformance`, () => {
    let stub: ConformanceStub;
    const seen: string[] = [];

    beforeEach(async () => {
      stub = await subject.start();
    });
    afterEach(async () => {
      await stub.stub.close();
    });
    afterAll(() => {
      // Nothing any test saw (errors, results, post-checks) carries a credential.
      for (const secret of stub?.secrets ?? []) for (const item of seen) expect(item).not.toContain(secret);
    });

    const run = (timeout?: number) => {
      const { decision, connectors } = setup(subject, stub, timeout);
      expect(decision.enforcementPoint.split(':', 1)[0]).toBe(subject.connector);
      return { decision, connectors };
    };

    it('authenticates and carries the action out; after it, the post-check finds it in place (made once)', async () => {
      const { decision, connectors } = run();
      const result: EnforcementResult = await enforce(decision, connectors, { ledgerKey: 'conf:1' });
      seen.push(text(result));
      // The calls that make a change: a vendor may read (GET) the same path, e.g. a pre-change read.
      const changeCalls = () => stub.stub.callsTo(subject.changePath).filter((c) => c.method !== 'GET');
      const changes = changeCalls().length;
      expect(changes).toBeGreaterThanOrEqual(1);
      const found = await observe(decision, connectors, {
        ledgerKey: 'conf:1',
        startedAt: new Date(Date.now() - 1000),
      });
      seen.push(text(found));
      if (found !== undefined) expect(found.details).toMatchObject({ recovered: true });
      // Read-only lookups have nothing to find; a change must be found, so it is not made again.
      if (
        decision.action.type !== 'intel.lookup' &&
        connectors.forDecision(decision)?.definition.actions[decision.action.type]?.observe !== undefined
      )
        expect(found).toBeDefined();
      expect(changeCalls()).toHaveLength(changes);
    });

    if (subject.oauth2 === true) {
      it('fetches an OAuth2 token, and a new one once the vendor drops it', async () => {
        const { decision, connectors } = run();
        const { revokeTokens, tokensIssued } = stub;
        if (revokeTokens === undefined || tokensIssued === undefined)
          throw new Error('an OAuth2 stub counts and revokes tokens');
        await enforce(decision, connectors, { ledgerKey: 'conf:a' });
        const issued = tokensIssued();
        expect(issued).toBeGreaterThanOrEqual(1);
        revokeTokens();
        await enforce(decision, connectors, { ledgerKey: 'conf:b' });
        expect(tokensIssued()).toBeGreaterThan(issued);
      });
    }

    it.each([401, 403])(
      'HTTP %i fails as a configuration error naming the integration, not retried',
      async (status) => {
        const { decision, connectors } = run();
        stub.stub.failNext(status, 10);
        const error = await failure(enforce(decision, connectors, { ledgerKey: `conf:${status}` }));
        seen.push(text(error));
        expect(error).toBeInstanceOf(ApplicationFailure);
        expect((error as ApplicationFailure).type).toBe('IntegrationMisconfigured');
        expect((error as ApplicationFailure).nonRetryable).toBe(true);
        expect((error as Error).message).toContain(subject.connector);
      },
    );

    it('HTTP 404 (unknown device, address or account) fails clearly and permanently', async () => {
      const { decision, connectors } = run();
      stub.stub.failNext(404, 1, undefined, { path: subject.changePath });
      const outcome = await enforce(decision, connectors, { ledgerKey: 'conf:404' }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      // A read-only lookup may report "not found" as its result instead (e.g. VirusTotal).
      if ('result' in outcome) {
        seen.push(text(outcome.result));
        expect(decision.action.type).toBe('intel.lookup');
        expect(outcome.result.result).toMatchObject({ found: false });
        return;
      }
      const { error } = outcome;
      seen.push(text(error));
      if (!(error instanceof ApplicationFailure)) throw error;
      expect(error.type).toBe('IntegrationRejected');
      expect(error.nonRetryable).toBe(true);
      expect(error.message).toMatch(/404|not found/i);
    });

    it('HTTP 429 with Retry-After is retried after the wait', async () => {
      const { decision, connectors } = run();
      stub.stub.failNext(429, 1, { 'retry-after': '1' }, { path: subject.changePath });
      const started = Date.now();
      const result = await enforce(decision, connectors, { ledgerKey: 'conf:429' });
      seen.push(text(result));
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(stub.stub.callsTo(subject.changePath).map((c) => c.status)).toContain(429);
    });

    it('HTTP 5xx is retried with backoff, then fails as retryable', async () => {
      const { decision, connectors } = run();
      stub.stub.failNext(503, 10, undefined, { path: subject.changePath });
      const error = await failure(enforce(decision, connectors, { ledgerKey: 'conf:503' }));
      seen.push(text(error));
      expect(error).toBeInstanceOf(IntegrationError);
      expect((error as IntegrationError).retryable).toBe(true);
      // The first attempt and FAST_RETRY.retries more.
      expect(stub.stub.callsTo(subject.changePath).filter((c) => c.status === 503)).toHaveLength(
        1 + FAST_RETRY.retries,
      );
    });

    it('a vendor slower than the configured timeout fails as a retryable timeout', async () => {
      const { decision, connectors } = run(300);
      stub.stub.delayNext(1_500, { path: subject.changePath });
      const error = await failure(enforce(decision, connectors, { ledgerKey: 'conf:slow' }));
      seen.push(text(error));
      expect(error).toBeInstanceOf(IntegrationError);
      expect((error as IntegrationError).kind).toBe('timeout');
      expect((error as IntegrationError).retryable).toBe(true);
    });

    if (subject.validatedRead !== undefined) {
      const read = subject.validatedRead;
      it('refuses a response that is not what the vendor documents (zod)', async () => {
        const { decision, connectors } = run();
        stub.stub.failNext(200, 1, undefined, { path: read.path, body: read.malformed ?? { unexpected: true } });
        const work =
          read.via === 'execute'
            ? enforce(decision, connectors, { ledgerKey: 'conf:bad' })
            : observe(decision, connectors, { ledgerKey: 'conf:bad', startedAt: new Date() });
        const error = await failure(work);
        seen.push(text(error));
        expect(text(error)).toMatch(/unexpected .* response/);
      });
    }
  });
}
