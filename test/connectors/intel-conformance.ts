/**
 * What every threat-intelligence connector (intel.lookup) does beyond the connector conformance
 * suite (conformance.ts: 401/403, 404, 429, 5xx, timeouts, zod, ledger, secrets), through the
 * real path — the policy engine decides the lookup, enforce() dispatches it to the connector the
 * decision names, the vendor is a stub speaking its documented API: the verdict as the step
 * result, "not found" as an answer, a real wrong key refused, a lookup repeated after an
 * interrupted attempt (nothing to find in place) served from the cache, the cache TTL, the
 * observable's type, and the key kept out of errors, logs, results and vendor records. Each
 * connector's test file calls `describeIntelConformance` and `describeConformance`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { enforce, observe } from '../../src/activities/enforcement';
import { configSchema } from '../../src/config/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import type { PolicyDecision } from '../../src/policy/types';
import { Connectors, type Clock, type IntegrationLogger } from '../../integrations';
import type { StubServer } from '../stubs/recording-server';

export const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 5_000 };

export interface IntelConformanceSetup<S extends StubServer> {
  id: 'virustotal' | 'misp';
  /** A stub that knows `known` (malicious) and not `unknown`. */
  start(): Promise<S>;
  /** `integrations.<id>` for the stub; `apiKey` overrides the right key. */
  config(stub: S, overrides?: { apiKey?: string; timeout?: string }): Record<string, unknown>;
  /** The secret the config holds (must never show). */
  secret(stub: S): string;
  /** The vendor path a lookup calls. */
  path: string;
  known: string;
  unknown: string;
  /** What the result of looking up `known` contains. */
  knownResult: Record<string, unknown>;
  /** The result of looking up `unknown`. */
  unknownResult: Record<string, unknown>;
}

/** A clock the test moves by hand. */
export function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: () => Promise.reject(new Error('the fake clock does not sleep')),
    advance: (ms) => {
      now += ms;
    },
  };
}

export function describeIntelConformance<S extends StubServer>(setup: IntelConformanceSetup<S>): void {
  const { id } = setup;
  let stub: S;
  const warnings: string[] = [];
  const logger: IntegrationLogger = {
    warn: (fields, message) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  };

  const connectorsFor = (
    overrides: { apiKey?: string; timeout?: string } = {},
    options: { clock?: Clock; cacheTtl?: string } = {},
  ) => {
    const config = configSchema.parse({
      integrations: {
        [id]: {
          ...setup.config(stub, overrides),
          ...(options.cacheTtl === undefined ? {} : { cacheTtl: options.cacheTtl }),
        },
      },
    });
    return {
      engine: new PolicyEngine(config),
      connectors: new Connectors(config.integrations, {
        [id]: { retry: FAST_RETRY, logger, ...(options.clock === undefined ? {} : { clock: options.clock }) },
      }),
    };
  };
  const lookup = (engine: PolicyEngine, target: string, params: Record<string, string> = {}): PolicyDecision =>
    engine.decide({ type: 'intel.lookup', target, params });
  const failure = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => {
        throw new Error('expected the lookup to fail');
      },
      (error: unknown) => error,
    );

  describe(`${id}: intel.lookup conformance`, () => {
    beforeEach(async () => {
      stub = await setup.start();
      warnings.length = 0;
    });
    afterEach(async () => {
      await stub.close();
    });

    it('is decided automatically (read-only) and names this connector', () => {
      const { engine } = connectorsFor();
      const decision = lookup(engine, setup.known);
      expect([decision.outcome, decision.rule, decision.enforcementPoint]).toEqual(['auto', 'read-only', id]);
    });

    it('looks the observable up and returns the verdict as the step result', async () => {
      const { engine, connectors } = connectorsFor();
      const result = await enforce(lookup(engine, setup.known), connectors);
      expect(result.result).toEqual(setup.knownResult);
      expect(result.summary).toContain(id);
      expect(stub.callsTo(setup.path)).toHaveLength(1);
    });

    it('answers found: false for an observable the vendor does not know (not a failure)', async () => {
      const { engine, connectors } = connectorsFor();
      const result = await enforce(lookup(engine, setup.unknown), connectors);
      expect(result.result).toEqual(setup.unknownResult);
    });

    it('refuses a bad key as a configuration error naming the integration, without the key', async () => {
      const wrong = `${setup.secret(stub)}-WRONG-KEY`;
      const { engine, connectors } = connectorsFor({ apiKey: wrong });
      const error = await failure(enforce(lookup(engine, setup.known), connectors));
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).type).toBe('IntegrationMisconfigured');
      expect((error as ApplicationFailure).nonRetryable).toBe(true);
      expect((error as Error).message).toContain(`integrations.${id}`);
      expect((error as Error).message).not.toContain(wrong);
      expect(stub.callsTo(setup.path)).toHaveLength(1);
    });

    it('after an interrupted attempt finds nothing "in place" (a lookup changes nothing) and looks again from the cache', async () => {
      const { engine, connectors } = connectorsFor();
      const decision = lookup(engine, setup.known);
      await enforce(decision, connectors);
      expect(await observe(decision, connectors, { startedAt: new Date() })).toBeUndefined();
      const again = await enforce(decision, connectors);
      expect(again.result).toEqual(setup.knownResult);
      expect(again.summary).toContain('(cached)');
      expect(stub.callsTo(setup.path)).toHaveLength(1);
    });

    it('does not look the same observable up again within the cache TTL, and does after it', async () => {
      const clock = fakeClock();
      const { engine, connectors } = connectorsFor({}, { clock, cacheTtl: '1h' });
      const decision = lookup(engine, setup.known);
      await enforce(decision, connectors);
      clock.advance(59 * 60_000);
      await enforce(decision, connectors);
      expect(stub.callsTo(setup.path)).toHaveLength(1);
      clock.advance(2 * 60_000);
      await enforce(decision, connectors);
      expect(stub.callsTo(setup.path)).toHaveLength(2);
    });

    it('needs params.type for a value whose type cannot be told', async () => {
      const { engine, connectors } = connectorsFor();
      const error = await failure(enforce(lookup(engine, 'not an observable'), connectors));
      expect((error as ApplicationFailure).type).toBe('IntegrationRejected');
      expect((error as Error).message).toContain('params.type');
      expect(stub.calls).toHaveLength(0);
    });

    it('never lets the key reach errors, logs, results or what the vendor recorded', async () => {
      const secret = setup.secret(stub);
      const { engine, connectors } = connectorsFor();
      stub.failNext(500, 1);
      const result = await enforce(lookup(engine, setup.known), connectors);
      stub.failNext(502, 10);
      const error = await failure(enforce(lookup(engine, setup.unknown), connectors));
      const seen = JSON.stringify([result, String(error), (error as Error).stack, warnings, stub.calls]);
      expect(seen).not.toContain(secret);
    });
  });
}
