/**
 * The incident view's tasks: which audit records report a task for people, and their state read
 * back from the ticketing connector — done, open, or unknown (not configured, slow, failing).
 */
import { Connectors } from '../../integrations';
import { startServiceNowStub, type ServiceNowStub } from '../../integrations/servicenow/servicenow.stub';
import { incidentTasks, tasksIn } from '../../src/api/incidents/incident-tasks';
import type { AuditRecord } from '../../src/audit/types';
import { startJiraStub, type JiraStub } from '../../integrations/jira/jira.stub';

let servicenow: ServiceNowStub;
let jira: JiraStub;
beforeEach(async () => {
  [servicenow, jira] = await Promise.all([startServiceNowStub(), startJiraStub()]);
});
afterEach(async () => {
  await Promise.all([servicenow.close(), jira.close()]);
});

let seq = 0;
function record(fields: Partial<AuditRecord>): AuditRecord {
  seq += 1;
  return {
    seq,
    prevHash: '',
    hash: '',
    idempotencyKey: `k${seq}`,
    time: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    incidentId: 'inc-0123456789abcdef01234567',
    actor: { type: 'system', id: 'interlock' },
    eventType: 'action.executed',
    ...fields,
  };
}
const executedTask = (key: string, connector = 'servicenow') =>
  record({
    stepId: 'logic-compare-task',
    action: { type: 'task.create', params: {}, enforcementPoint: connector },
    details: { taskKey: key },
  });

const connectorsWith = (which: { servicenow?: boolean; jira?: boolean }) =>
  new Connectors(
    {
      ...(which.servicenow === true && {
        servicenow: {
          baseUrl: servicenow.url,
          username: servicenow.username,
          password: servicenow.password,
          timeout: 2_000,
          table: 'incident',
          fields: {},
          closeState: '6',
          doneStates: ['6', '7', '8'],
        },
      }),
      ...(which.jira === true && {
        jira: {
          baseUrl: jira.url,
          timeout: 2_000,
          email: 'interlock@example.net',
          apiToken: 'jira-test-api-token',
          projectKey: 'SEC',
          issueType: 'Task',
          doneTransitionId: '31',
        },
      }),
    },
    { servicenow: { retry: { retries: 0 } }, jira: { retry: { retries: 0 } } },
  );

describe('tasksIn', () => {
  it('takes executed ticket actions and recommendation tasks, once each, and nothing else', () => {
    const records = [
      executedTask('INC0010001'),
      executedTask('INC0010001'),
      record({ eventType: 'task.created', stepId: 'rec', details: { taskKey: 'SEC-4', connector: 'jira' } }),
      record({ eventType: 'task.created', details: { taskKey: 'INC0010002' } }),
      record({ eventType: 'task.created', details: { summary: 'no ticketing configured' } }),
      record({
        action: { type: 'firewall.quarantine_ip', params: {}, enforcementPoint: 'fortigate' },
        details: { taskKey: 'not-a-task' },
      }),
    ];
    expect(tasksIn(records, 'servicenow').map((t) => [t.connector, t.key, t.eventType])).toEqual([
      ['servicenow', 'INC0010001', 'action.executed'],
      ['jira', 'SEC-4', 'task.created'],
      ['servicenow', 'INC0010002', 'task.created'],
    ]);
  });
});

describe('incidentTasks', () => {
  it('reads each task’s state: open, then done once resolved, from ServiceNow and Jira', async () => {
    const connectors = connectorsWith({ servicenow: true, jira: true });
    const sn = connectors.get('servicenow')?.client as { createTask(t: unknown): Promise<{ key: string }> };
    const jc = connectors.get('jira')?.client as { createTask(t: unknown): Promise<{ key: string }> };
    const { key: inc } = await sn.createTask({ summary: 'Compare logic', description: 'd' });
    const { key: issue } = await jc.createTask({ summary: 'Isolate', description: 'd' });
    const records = [
      executedTask(inc),
      record({ eventType: 'task.created', details: { taskKey: issue, connector: 'jira' } }),
    ];

    expect((await incidentTasks(records, connectors)).map((t) => [t.key, t.status, t.state])).toEqual([
      [inc, 'open', 'New'],
      [issue, 'open', 'To Do'],
    ]);
    servicenow.setState(inc, '6');
    const jiraIssue = jira.issues.get(issue);
    if (jiraIssue !== undefined) jiraIssue.status = 'done';
    expect((await incidentTasks(records, connectors)).map((t) => [t.key, t.status, t.state])).toEqual([
      [inc, 'done', 'Resolved'],
      [issue, 'done', 'Done'],
    ]);
  });

  it('shows unknown, with why, when the connector is not configured, the task is gone, or the tool fails or is slow', async () => {
    const connectors = connectorsWith({ servicenow: true });
    const sn = connectors.get('servicenow')?.client as { createTask(t: unknown): Promise<{ key: string }> };
    const { key } = await sn.createTask({ summary: 's', description: 'd' });

    const [jiraTask, gone] = await incidentTasks(
      [executedTask('SEC-1', 'jira'), executedTask('INC0099999')],
      connectors,
    );
    expect(jiraTask).toMatchObject({ status: 'unknown', reason: 'integration jira is not configured' });
    expect(gone).toMatchObject({ status: 'unknown', reason: 'servicenow has no task INC0099999' });

    servicenow.failNext(500);
    const [failed] = await incidentTasks([executedTask(key)], connectors);
    expect(failed).toMatchObject({ status: 'unknown', reason: expect.stringContaining('HTTP 500') });
    expect(failed?.reason).not.toContain(servicenow.password);

    servicenow.delayNext(2_000);
    const started = Date.now();
    const [slow] = await incidentTasks([executedTask(key)], connectors, 300);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(slow).toMatchObject({ status: 'unknown' });
  });
});
