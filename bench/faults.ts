/**
 * `npm run bench:faults` — the fault run of issue 18 at full size (test/support/fault-run.ts):
 * 1,000 distinct incidents (IT and OT mixed) and 200 OT approvals (API and signed Slack clicks)
 * through two API and two worker processes while a worker and an API are SIGKILLed and
 * restarted, PostgreSQL (a throwaway cluster) is restarted and the Slack and EDR stubs answer
 * 500/429 for 30 s. Not a test: prints the figures and each check's verdict; exits 1 on a miss.
 *
 * `--temporal=server` (or INTERLOCK_TEST_TEMPORAL=server) runs it against Temporal's production
 * server with PostgreSQL persistence (scripts/temporal-server.sh) instead of the dev server.
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { startTemporalDevServer } from '../src/dev/temporal-server';
import { faultRunReport, runFaults, type FaultRunOptions } from '../test/support/fault-run';
import { startTemporalServer } from '../test/support/temporal-server';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const INCIDENTS = env('BENCH_FAULT_INCIDENTS', 1_000);
const OT_SHARE = env('BENCH_FAULT_OT_SHARE', 0.5);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const production = process.argv.includes('--temporal=server') || process.env['INTERLOCK_TEST_TEMPORAL'] === 'server';
  const temporal = production
    ? await startTemporalServer().then((s) => ({ address: s.address, stop: () => s.stop() }))
    : await startTemporalDevServer({}).then((s) => ({ address: s.address, stop: () => s.shutdown() }));
  const otIncidents = Math.round(INCIDENTS * OT_SHARE);
  const options: FaultRunOptions = {
    temporalAddress: temporal.address,
    itIncidents: INCIDENTS - otIncidents,
    otIncidents,
    approvals: Math.min(otIncidents, env('BENCH_FAULT_APPROVALS', 200)),
    vendorOutageMs: env('BENCH_FAULT_OUTAGE_MS', 30_000),
    databaseDownMs: env('BENCH_FAULT_DB_DOWN_MS', 10_000),
    faultSpanMs: env('BENCH_FAULT_SPAN_MS', 240_000),
    inFlight: env('BENCH_FAULT_IN_FLIGHT', 20),
    settleTimeoutMs: env('BENCH_FAULT_SETTLE_MS', 600_000),
    log: (line) => process.stderr.write(`${line}\n`),
  };
  try {
    const result = await runFaults(options);
    const { lines, misses } = faultRunReport(
      result,
      options,
      production ? 'Temporal production server, PostgreSQL persistence' : 'Temporal dev server',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    if (misses.length > 0) {
      process.stdout.write(`misses:\n${misses.map((m) => `  ${m}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  } finally {
    await temporal.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(
      `bench:faults failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
