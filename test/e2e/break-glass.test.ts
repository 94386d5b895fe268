/** Rule 11 end to end: a break-glass operator forces a gated OT action with a written justification. */
import type { AuditRecord } from '../../src/audit/types';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { accepted, pendingApprovalFor } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function openPlcQuarantine(id: string): Promise<{ incidentId: string; approvalId: string }> {
  const response = await stack.webhook('generic', {
    id,
    title: 'PLC talking to the internet',
    severity: 'critical',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
  });
  const { incidentId } = await accepted(response);
  const { id: approvalId } = await pendingApprovalFor(stack, incidentId, 'victor');
  return { incidentId, approvalId };
}

function force(approvalId: string, operator: 'victor' | 'omar', body: Record<string, unknown>) {
  return stack.api(`/approvals/${approvalId}/decision`, {
    method: 'POST',
    operator,
    body: { decision: 'approve', breakGlass: true, ...body },
  });
}

it('refuses break-glass without the role or a real justification, then forces the action once and flags it for review', async () => {
  const { incidentId, approvalId } = await openPlcQuarantine('bg-0001');

  const noJustification = await force(approvalId, 'victor', {});
  expect(noJustification.status).toBe(400);
  expect(await noJustification.json()).toMatchObject({ error: { issues: [{ path: 'justification' }] } });
  const tooShort = await force(approvalId, 'victor', { justification: 'urgent' });
  expect(tooShort.status).toBe(422);
  expect(await tooShort.json()).toMatchObject({ error: { code: 'break_glass_refused' } });
  const noRole = await force(approvalId, 'omar', { justification: 'The line is about to trip, acting now.' });
  expect(noRole.status).toBe(403);
  expect(stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH)).toHaveLength(0);

  const forced = await force(approvalId, 'victor', {
    justification: 'Ransomware spreading into the cell; shift lead unreachable.',
  });
  expect(forced.status).toBe(200);
  expect(await forced.json()).toMatchObject({ status: 'approved' });

  const records = await eventually(async () => {
    const audit = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'victor' });
    const { records: all } = (await audit.json()) as { records: AuditRecord[] };
    return all.some((r) => r.eventType === 'playbook.completed') ? all : undefined;
  }, 'the forced action to run');
  const bans = stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).filter((c) => c.status === 200);
  expect(bans.map((b) => b.body)).toEqual([expect.objectContaining({ ip_addresses: ['10.20.1.7'] })]);

  const vote = records.find((r) => r.eventType === 'approval.decided');
  expect(vote).toMatchObject({
    actor: { id: 'victor', roles: ['safety-owner', 'break-glass'] },
    approval: { breakGlass: true, justification: 'Ransomware spreading into the cell; shift lead unreachable.' },
    details: { reviewRequired: true },
  });
  const executed = records.find((r) => r.eventType === 'action.executed');
  expect(executed?.approval).toMatchObject({ breakGlass: true });
});
