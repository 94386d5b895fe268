/**
 * The action ledger says what is true (issue 14): the worker is killed between a vendor call
 * and the ledger's record of it, or the vendor answers after the admission's deadline. The
 * retry finds the intent without an outcome, reads the vendor's state, and does not make the
 * change again: each stub sees the change exactly once, the playbook completes, and the audit
 * says the change was found in place. Real processes, Temporal dev server, PostgreSQL, stubs.
 */
import type { AuditRecord } from '../../src/audit/types';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  CROWDSTRIKE_DEVICE_DETAILS_PATH,
  FORTIGATE_ADD_USERS_PATH,
  type StubRequest,
} from '../stubs';
import { acceptedIncident, auditOf, decide, liftContainment, pendingApprovalFor, types } from '../support/e2e';
import { CROWDSTRIKE_AGENT_FIN_LT_042, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    // The client's own HTTP timeout is far longer than the admission's deadline: what cuts a
    // slow first attempt short is that deadline.
    configure: (config) => {
      config.integrations.crowdstrike.timeout = '30s';
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const RECOVERY_TIMEOUT_MS = 90_000;
const isContain = (request: StubRequest) => request.query.get('action_name') === 'contain';
const containCalls = () =>
  stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).filter((c) => c.query['action_name'] === 'contain');
const deviceReads = () => stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_DETAILS_PATH);
const bans = () => stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH);
const completed = (records: AuditRecord[]) => types(records).includes('playbook.completed');

function ransomware(id: string) {
  return {
    id,
    time: '2026-11-20T11:00:00Z',
    severity: 'high',
    title: 'Ransomware behaviour on fin-lt-042',
    rule: { id },
    hosts: [{ name: 'fin-lt-042' }],
  };
}

/** An analyst lifts the laptop's containment, so the next test starts from a host that is not contained. */
const releaseLaptop = () => liftContainment(stack, CROWDSTRIKE_AGENT_FIN_LT_042);

async function expectChainVerifies(incidentId: string) {
  const response = await stack.api(`/audit/verify?incidentId=${incidentId}`, { operator: 'alice' });
  expect(await response.json()).toMatchObject({ ok: true });
}

describe('the worker killed between the vendor call and the ledger record', () => {
  it('S1: an automatic CrowdStrike containment is made once, and the audit says it was found in place', async () => {
    await releaseLaptop();
    const [containsBefore, readsBefore] = [containCalls().length, deviceReads().length];
    // Falcon contains the host, but its answer never reaches the worker that asked.
    const held = stack.crowdstrike.holdNext({ path: CROWDSTRIKE_DEVICE_ACTIONS_PATH, match: isContain });
    const incidentId = await acceptedIncident(stack, ransomware('ledger-s1-kill'));
    await held.received;
    await stack.killWorker();
    held.release();
    await stack.startWorker();

    const records = await auditOf(stack, incidentId, completed, RECOVERY_TIMEOUT_MS);
    expect(containCalls()).toHaveLength(containsBefore + 1);
    expect(stack.crowdstrike.contained.has(CROWDSTRIKE_AGENT_FIN_LT_042)).toBe(true);
    // The retry read the device's state before acting (the pre-change read), once.
    expect(deviceReads()).toHaveLength(readsBefore + 1);

    const executed = records.filter((r) => r.eventType === 'action.executed');
    expect(executed).toHaveLength(1);
    expect(executed[0]).toMatchObject({
      stepId: 'contain-host',
      action: { type: 'edr.contain_host' },
      result: { status: 'succeeded', detail: expect.stringMatching(/found in place after an interrupted attempt/) },
      details: { ledger: { recovered: true, observed: { status: 'contained' } } },
    });
    expect(types(records)).not.toContain('action.failed');
    expect(records.find((r) => r.eventType === 'playbook.completed')?.details).toMatchObject({
      outcomes: [
        { stepId: 'contain-host', status: 'executed' },
        { stepId: 'disable-account', status: 'skipped' },
      ],
    });
    await expectChainVerifies(incidentId);
  }, 150_000);

  it('S4: an approved FortiGate conduit ban is made once, and the audit says it was found in place', async () => {
    const bansBefore = bans().length;
    const incidentId = await acceptedIncident(stack, {
      id: 'ledger-s4-kill',
      time: '2026-11-20T11:00:00Z',
      severity: 'high',
      title: 'Modbus write to PLC from IT host',
      rule: { id: 'ledger-s4', name: 'Modbus write from IT' },
      src: { host: 'fin-lt-042', ip: '10.30.5.42' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    });
    const approval = await pendingApprovalFor(stack, incidentId);
    // FortiGate bans the address, but its answer never reaches the worker that asked.
    const held = stack.fortigate.holdNext({ path: FORTIGATE_ADD_USERS_PATH });
    expect(await decide(stack, approval.id, 'omar', 'approve')).toMatchObject({ status: 200 });
    expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({
      status: 200,
      body: { status: 'approved' },
    });
    await held.received;
    await stack.killWorker();
    held.release();
    await stack.startWorker();

    const records = await auditOf(stack, incidentId, completed, RECOVERY_TIMEOUT_MS);
    expect(bans()).toHaveLength(bansBefore + 1);
    expect(bans().at(-1)?.body).toMatchObject({ ip_addresses: ['10.30.5.42'] });
    expect(stack.fortigate.isBanned('10.30.5.42')).toBe(true);

    const conduit = records.filter((r) => r.eventType === 'action.executed' && r.stepId === 'block-source-at-conduit');
    expect(conduit).toHaveLength(1);
    expect(conduit[0]).toMatchObject({
      action: { type: 'firewall.quarantine_ip' },
      approval: { approvalId: approval.id },
      result: { status: 'succeeded', detail: expect.stringMatching(/found in place after an interrupted attempt/) },
      details: { ledger: { recovered: true, observed: { ip: '10.30.5.42', banned: true } } },
    });
    expect(types(records)).not.toContain('action.failed');
    await expectChainVerifies(incidentId);
  }, 150_000);
});

describe('a vendor slower than the admission’s deadline', () => {
  it('contains once: the local attempt gives up at its deadline, the run’s regular activity finds the change made', async () => {
    await releaseLaptop();
    const [containsBefore, readsBefore] = [containCalls().length, deviceReads().length];
    const SLOW_MS = 9_000;
    // Falcon acts at once but answers only after SLOW_MS, well past the admission's 3 s deadline.
    stack.crowdstrike.delayNext(SLOW_MS, { path: CROWDSTRIKE_DEVICE_ACTIONS_PATH, match: isContain });
    const sent = Date.now();
    const incidentId = await acceptedIncident(stack, ransomware('ledger-slow-edr'));

    const records = await auditOf(stack, incidentId, completed, 60_000);
    // Done before the slow answer came: nothing waited on the vendor for long.
    expect(Date.now() - sent).toBeLessThan(SLOW_MS);
    expect(containCalls()).toHaveLength(containsBefore + 1);
    expect(deviceReads()).toHaveLength(readsBefore + 1);

    const incidentRunId = records.find((r) => r.eventType === 'incident.opened')?.runId;
    const executed = records.filter((r) => r.eventType === 'action.executed');
    expect(executed).toHaveLength(1);
    // Recorded by the playbook run's workflow (its regular activity), under the admission's ledger key.
    expect(executed[0]?.runId).not.toBe(incidentRunId);
    expect(executed[0]?.idempotencyKey).toBe(
      `${incidentId}.s1-ransomware-office-laptop:${incidentRunId}:contain-host:executed`,
    );
    expect(executed[0]).toMatchObject({
      details: { ledger: { recovered: true, observed: { status: 'contained' } } },
    });
    expect(types(records)).not.toContain('action.failed');
  }, 90_000);
});
