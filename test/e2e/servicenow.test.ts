/**
 * S2 (unauthorized PLC programming) with ServiceNow as the ticketing tool instead of Jira, end
 * to end: the shipped playbook's logic-compare task becomes a ServiceNow incident carrying its
 * ledger label (correlation_id), and GET /incidents/{id} shows the task with the state ServiceNow
 * reports — open, then done once someone resolves it there.
 */
import type { AuditRecord } from '../../src/audit/types';
import { startServiceNowStub, type ServiceNowStub } from '../../integrations/servicenow/servicenow.stub';
import { acceptedIncident, auditOf } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;
let servicenow: ServiceNowStub;

beforeAll(async () => {
  servicenow = await startServiceNowStub();
  stack = await startStack({
    configure: (config) => {
      const integrations = config.integrations as Record<string, unknown>;
      delete integrations['jira'];
      integrations['servicenow'] = {
        baseUrl: servicenow.url,
        username: servicenow.username,
        password: servicenow.password,
        timeout: '5s',
        fields: { assignment_group: 'OT Engineering' },
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await servicenow?.close();
});

interface TaskView {
  key: string;
  connector: string;
  stepId?: string;
  status: string;
  state?: string;
}

async function tasksOf(incidentId: string): Promise<TaskView[]> {
  const response = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { tasks: TaskView[] }).tasks;
}

describe('S2 with ServiceNow', () => {
  it('creates the logic-compare task in ServiceNow and shows its state on the incident, open then done', async () => {
    const incidentId = await acceptedIncident(stack, {
      id: 'sn-s2-1',
      time: '2026-11-20T11:00:00Z',
      title: 'Unauthorized PLC Programming',
      severity: 'critical',
      src: { host: 'eng-ws-03', ip: '10.10.4.17' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    });
    const records = await auditOf(
      stack,
      incidentId,
      (rs: AuditRecord[]) => rs.some((r) => r.eventType === 'approval.requested'),
      30_000,
    );
    const executed = records.find((r) => r.eventType === 'action.executed' && r.stepId === 'logic-compare-task');
    expect(executed).toMatchObject({ action: { type: 'task.create', enforcementPoint: 'servicenow' } });

    expect(servicenow.records.size).toBe(1);
    const [incident] = [...servicenow.records.values()];
    expect(incident).toMatchObject({
      short_description: 'Compare the logic of plc-7 with the approved baseline',
      assignment_group: 'OT Engineering',
      correlation_display: 'Interlock',
    });
    expect(incident?.correlation_id).toMatch(/^interlock-[0-9a-f]{32}$/);
    expect(incident?.description).toContain(incidentId);
    const key = incident?.number ?? '';
    expect(executed?.details?.['taskKey']).toBe(key);

    expect(await tasksOf(incidentId)).toEqual([
      expect.objectContaining({
        key,
        connector: 'servicenow',
        stepId: 'logic-compare-task',
        status: 'open',
        state: 'New',
      }),
    ]);

    servicenow.setState(key, '6');
    await eventually(
      async () => ((await tasksOf(incidentId))[0]?.status === 'done' ? true : undefined),
      'the task read back as done',
    );
    expect(await tasksOf(incidentId)).toEqual([expect.objectContaining({ key, status: 'done', state: 'Resolved' })]);
  });
});
