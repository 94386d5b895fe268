/** An approval that expires means "do not act" (rule 8), end to end with a short TTL. */
import type { AuditRecord } from '../../src/audit/types';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ approvalTtl: '3s' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('takes no action once the approval has expired, and refuses a late approval', async () => {
  const response = await stack.webhook('generic', {
    id: 'exp-0001',
    title: 'PLC talking to the internet',
    severity: 'high',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
  });
  expect(response.status).toBe(202);
  const { incidentId } = (await response.json()) as { incidentId: string };

  const approvalId = await eventually(async () => {
    const list = await stack.api(`/approvals?incidentId=${incidentId}`, { operator: 'omar' });
    const { approvals } = (await list.json()) as { approvals: { id: string }[] };
    return approvals[0]?.id;
  }, 'the approval request');

  const records = await eventually(async () => {
    const audit = await stack.api(`/incidents/${incidentId}/audit`, { operator: 'omar' });
    const { records: all } = (await audit.json()) as { records: AuditRecord[] };
    return all.some((r) => r.eventType === 'playbook.completed') ? all : undefined;
  }, 'the playbook to finish after expiry');

  const expired = records.find((r) => r.eventType === 'approval.expired');
  expect(expired).toMatchObject({ decision: { rule: 'rule-8-approval-expired' }, result: { status: 'skipped' } });
  expect(records.map((r) => r.eventType)).not.toContain('action.executed');

  const late = await stack.api(`/approvals/${approvalId}/decision`, {
    method: 'POST',
    operator: 'omar',
    body: { decision: 'approve' },
  });
  expect({ status: late.status, body: await late.json() }).toEqual({
    status: 410,
    body: { error: expect.objectContaining({ status: 410, code: 'approval_expired' }) },
  });
  const listed = await stack.api(`/approvals?status=expired&incidentId=${incidentId}`, { operator: 'omar' });
  expect(((await listed.json()) as { approvals: { id: string; status: string }[] }).approvals).toEqual([
    expect.objectContaining({ id: approvalId, status: 'expired' }),
  ]);
  await new Promise((r) => setTimeout(r, 300));
  expect(stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH)).toHaveLength(0);
});
