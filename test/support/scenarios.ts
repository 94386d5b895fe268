/**
 * The first incidents end to end, as steps with their expectations, so the dev-server suite
 * (test/e2e/foundation.test.ts) and the production-server smoke (test/e2e/production-temporal.test.ts)
 * prove the same behaviour with one implementation. Each expects a fresh stack: the counts of
 * vendor calls are the stack's totals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { accepted, auditOf, decide, pendingApprovalFor, types } from './e2e';
import { CROWDSTRIKE_AGENT_FIN_LT_042, REPO_ROOT, eventually, type Stack } from './stack';

export const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

export function genericAlert(id: string, fields: Record<string, unknown>) {
  return { id, time: '2026-11-20T11:00:00Z', severity: 'high', ...fields };
}

/** S4's alert: a Modbus write from the IT laptop fin-lt-042 to plc-7 (generic source). */
export function modbusWriteAlert(id: string, time = '2026-11-20T11:00:00Z') {
  return {
    id,
    time,
    severity: 'high',
    title: 'Modbus write to PLC from IT host',
    rule: { id: 'modbus-write-it', name: 'Modbus write from IT' },
    src: { host: 'fin-lt-042', ip: '10.30.5.42' },
    dst: { host: 'plc-7', ip: '10.20.1.7' },
  };
}

export const fortigateBans = (stack: Stack) =>
  stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).filter((c) => c.status === 200);
export const containments = (stack: Stack) =>
  stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH).filter((c) => c.status === 202);

export async function expectChainVerifies(stack: Stack, incidentId?: string): Promise<void> {
  const response = await stack.api(`/audit/verify${incidentId === undefined ? '' : `?incidentId=${incidentId}`}`, {
    operator: 'alice',
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ ok: true });
}

/** S1: Splunk delivers the ransomware alert twice; the laptop is contained once, with no human.
 * Returns the incident's ID. */
export async function s1ContainsLaptopOnce(stack: Stack): Promise<string> {
  const first = await accepted(await stack.webhook('splunk', SPLUNK_SAMPLE));
  expect(first).toEqual({
    incidentId: expect.stringMatching(/^inc-[0-9a-f]{24}$/),
    workflowId: first.incidentId,
    deduplicated: false,
  });
  const incidentId = first.incidentId;
  // Splunk cannot set headers: the same delivery authenticated by ?token= joins the incident.
  const second = await accepted(
    await fetch(`${stack.apiUrl}/webhooks/splunk?token=splunk-test-token-1234`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: SPLUNK_SAMPLE,
    }),
  );
  expect(second).toEqual({ incidentId, workflowId: incidentId, deduplicated: true });

  const records = await auditOf(
    stack,
    incidentId,
    (r) => types(r).includes('playbook.completed') && types(r).includes('alert.duplicate'),
    60_000,
  );
  const calls = containments(stack);
  expect(calls).toHaveLength(1);
  expect(calls[0]?.query['action_name']).toBe('contain');
  expect(calls[0]?.body).toEqual({ ids: [CROWDSTRIKE_AGENT_FIN_LT_042] });
  expect(stack.crowdstrike.contained.has(CROWDSTRIKE_AGENT_FIN_LT_042)).toBe(true);

  const decided = records.find((r) => r.eventType === 'policy.decided');
  expect(decided?.decision).toMatchObject({ outcome: 'auto', rule: 'rule-2-auto-it' });
  expect(decided?.target).toMatchObject({
    assetId: 'fin-lt-042',
    zone: 'corp',
    kind: 'workstation',
    criticality: 'low',
  });
  const executed = records.find((r) => r.eventType === 'action.executed');
  expect(executed).toMatchObject({
    actor: { type: 'system', id: 'interlock' },
    result: { status: 'succeeded' },
    action: { type: 'edr.contain_host', enforcementPoint: 'crowdstrike' },
  });
  expect(records.some((r) => r.eventType.startsWith('approval.'))).toBe(false);
  return incidentId;
}

/** S4: a Modbus write from an IT host to a PLC. The IT source is contained automatically; the
 * conduit block waits for two OT engineers (a duplicate vote refused) and never targets the PLC. */
export async function s4DualApproval(stack: Stack): Promise<void> {
  const { incidentId } = await accepted(await stack.webhook('generic', modbusWriteAlert('s4-0001')));
  const approval = await pendingApprovalFor(stack, incidentId);
  expect(approval).toMatchObject({
    requiredApprovals: 2,
    requiredRoles: ['ot-engineer'],
    target: { assetId: 'plc-7', zone: 'line1-cell' },
  });
  await eventually(() => (containments(stack).length >= 1 ? true : undefined), 'the IT source containment', 60_000);
  expect(fortigateBans(stack)).toHaveLength(0);

  const firstVote = await decide(stack, approval.id, 'omar', 'approve');
  expect(firstVote).toMatchObject({ status: 200, body: { status: 'pending', approvalsRemaining: 1 } });
  const again = await decide(stack, approval.id, 'omar', 'approve');
  expect(again).toMatchObject({ status: 409, body: { error: { code: 'duplicate_approver' } } });
  await new Promise((r) => setTimeout(r, 500));
  expect(fortigateBans(stack)).toHaveLength(0);

  const secondVote = await decide(stack, approval.id, 'grace', 'approve');
  expect(secondVote).toMatchObject({ status: 200, body: { status: 'approved', approvalsRemaining: 0 } });
  const bans = await eventually(
    () => (fortigateBans(stack).length > 0 ? fortigateBans(stack) : undefined),
    'the conduit block',
    60_000,
  );
  expect(bans).toHaveLength(1);
  expect(bans[0]?.body).toMatchObject({ ip_addresses: ['10.30.5.42'] });
  // The PLC is never the object of an enforcement call.
  expect(JSON.stringify([...stack.fortigate.calls, ...stack.crowdstrike.calls])).not.toContain('10.20.1.7');

  const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'), 60_000);
  const votes = records.filter((r) => r.eventType === 'approval.decided');
  expect(votes.map((v) => v.actor)).toEqual([
    { type: 'operator', id: 'omar', roles: ['ot-engineer'], channel: 'api' },
    { type: 'operator', id: 'grace', roles: ['ot-engineer', 'shift-lead'], channel: 'api' },
  ]);
  const gated = records.find((r) => r.eventType === 'policy.decided' && r.stepId === 'block-source-at-conduit');
  expect(gated?.decision).toMatchObject({ outcome: 'approve', rule: 'rule-7-dual-approval' });
  expect(gated?.target).toMatchObject({ assetId: 'plc-7', zone: 'line1-cell', kind: 'plc', criticality: 'high' });
  const executed = records.filter((r) => r.eventType === 'action.executed').map((r) => r.action?.type);
  expect(executed).toEqual(['edr.contain_host', 'firewall.quarantine_ip']);
  // Rule 10: the firewall change records the address's state before it.
  const conduitBlock = records.find(
    (r) => r.eventType === 'action.executed' && r.action?.type === 'firewall.quarantine_ip',
  );
  expect(conduitBlock?.details?.['preChange']).toEqual({ ip: '10.30.5.42', banned: false });
  await expectChainVerifies(stack, incidentId);
}

/** A worker killed while an OT quarantine waits for two approvals: after a new worker starts,
 * the approvals still count and the PLC is quarantined exactly once. */
export async function workerKilledWhileWaiting(stack: Stack): Promise<void> {
  const { incidentId } = await accepted(
    await stack.webhook(
      'generic',
      genericAlert('plc-0001', {
        title: 'PLC talking to the internet',
        rule: { id: 'test-quarantine' },
        hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
      }),
    ),
  );
  const approval = await pendingApprovalFor(stack, incidentId);
  await stack.killWorker();
  await stack.startWorker();
  expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({
    status: 200,
    body: { status: 'pending', approvalsRemaining: 1 },
  });
  expect(await decide(stack, approval.id, 'omar', 'approve')).toMatchObject({
    status: 200,
    body: { status: 'approved' },
  });
  await eventually(
    () => (fortigateBans(stack).some((c) => JSON.stringify(c.body).includes('10.20.1.7')) ? true : undefined),
    'the PLC quarantine after restart',
    60_000,
  );
  const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'), 60_000);
  expect(records.filter((r) => r.eventType === 'action.executed')).toHaveLength(1);
  await expectChainVerifies(stack, incidentId);
}
