/**
 * The fault run of issue 18, small (the full one is `npm run bench:faults`, the same code in
 * test/support/fault-run.ts): distinct IT and OT incidents and OT approvals (API and signed
 * Slack clicks) through two API and two worker processes while a worker and an API are
 * SIGKILLed and restarted, a PostgreSQL cluster of its own is restarted and the Slack and EDR
 * stubs answer 500/429 for a few seconds. Nothing accepted is lost, no vendor change is made
 * twice, every approved action runs, no unapproved OT action runs, the audit chain verifies.
 * Runs against whichever Temporal server the suite uses (INTERLOCK_TEST_TEMPORAL=server: the
 * production server).
 */
import { faultRunReport, runFaults, type FaultRunOptions } from '../support/fault-run';

const OPTIONS: Omit<FaultRunOptions, 'temporalAddress'> = {
  itIncidents: 20,
  otIncidents: 20,
  approvals: 8,
  vendorOutageMs: 4_000,
  databaseDownMs: 3_000,
  faultSpanMs: 40_000,
  inFlight: 6,
  settleTimeoutMs: 240_000,
};

it('loses nothing, acts once, and runs only approved OT actions under kills, a database restart and vendor errors', async () => {
  const temporalAddress = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'];
  if (temporalAddress === undefined) throw new Error('the suite Temporal server is not running');
  const options = {
    ...OPTIONS,
    temporalAddress,
    // Progress on stderr: where a run that hangs got to.
    log: (line: string) => process.stderr.write(`fault run ${line}\n`),
  };
  const result = await runFaults(options);
  const { lines, misses } = faultRunReport(result, options, 'suite');
  process.stdout.write(`${lines.join('\n')}\n`);
  expect(misses).toEqual([]);
  expect(result.faults).toEqual({ workerKills: 2, apiKills: 2, restarts: 4, databaseRestarts: 1, vendorOutages: 1 });
  expect(result.approvalsGiven).toEqual({ api: 4, slack: 4 });
}, 900_000);
