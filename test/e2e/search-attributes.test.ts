/**
 * Temporal search attributes (issue 19): the stack registers them in its namespace at startup
 * (the dev server allows it), incidents are started with them and keep them current, so the
 * Temporal UI and `temporal workflow list --query` filter incidents by zone, severity, status,
 * source, unhandled and waiting for approval. Real API and worker processes, real Temporal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { parse } from 'yaml';
import {
  AWAITING_APPROVAL,
  INTERLOCK_SEARCH_ATTRIBUTES,
  SEVERITY,
  SOURCES,
  STATUS,
  UNHANDLED,
  ZONES,
} from '../../src/workflows/search-attributes';
import { modbusWriteAlert } from '../support/scenarios';
import { accepted, auditOf, decide, pendingApprovalFor, types } from '../support/e2e';
import { REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

let stack: Stack;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  stack = await startStack({ closeAfterIdle: '10s' });
  const config = parse(readFileSync(stack.configPath, 'utf8')) as { temporal: { address: string; namespace: string } };
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, namespace: config.temporal.namespace });
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

async function list(query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query })) found.push(execution);
  return found;
}

/** Polls the visibility store (eventually consistent) until the query lists exactly `ids`. */
async function expectListed(query: string, ids: string[]): Promise<WorkflowExecutionInfo[]> {
  const want = [...ids].sort().join(',');
  let last = '';
  try {
    return await eventually(async () => {
      const found = await list(query);
      last = found
        .map((e) => e.workflowId)
        .sort()
        .join(',');
      return last === want ? found : undefined;
    }, query);
  } catch (error) {
    throw new Error(`${query}: listed [${last}], expected [${want}]`, { cause: error });
  }
}

const attributes = async (workflowId: string) =>
  (await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;

describe('incident search attributes', () => {
  let ot: string;
  let itIncident: string;
  let run: string;

  it('are registered in the namespace at startup', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: client.options.namespace,
    });
    for (const key of INTERLOCK_SEARCH_ATTRIBUTES) expect(customAttributes?.[key.name]).toBeDefined();
  });

  it('find the OT incident waiting for approval by zone, and the IT one that needed nobody', async () => {
    ot = (await accepted(await stack.webhook('generic', modbusWriteAlert('sa-s4-0001')))).incidentId;
    await pendingApprovalFor(stack, ot);
    itIncident = (await accepted(await stack.webhook('splunk', SPLUNK_SAMPLE))).incidentId;
    await auditOf(stack, itIncident, (r) => types(r).includes('playbook.completed'));

    const waiting = "InterlockAwaitingApproval = true AND InterlockZones = 'line1-cell'";
    await expectListed(`${waiting} AND WorkflowType = 'incidentWorkflow'`, [ot]);
    const runQuery = `${waiting} AND WorkflowType = 'playbookRunWorkflow'`;
    const runs = await eventually(async () => {
      const found = await list(runQuery);
      return found.length > 0 ? found : undefined;
    }, runQuery);
    expect(runs).toHaveLength(1);
    run = runs[0]?.workflowId ?? '';
    expect(run).toContain(ot);
    await expectListed(
      "InterlockZones = 'corp' AND InterlockAwaitingApproval = false AND WorkflowType = 'incidentWorkflow'",
      [itIncident],
    );
    await expectListed("InterlockSources = 'generic' AND WorkflowType = 'incidentWorkflow'", [ot]);
    await expectListed(
      "InterlockSeverity = 'high' AND InterlockStatus = 'open' AND WorkflowType = 'incidentWorkflow'",
      [ot, itIncident],
    );

    const otAttributes = await attributes(ot);
    expect(otAttributes.get(ZONES)).toEqual(['corp', 'line1-cell']);
    expect(otAttributes.get(SEVERITY)).toBe('high');
    expect(otAttributes.get(SOURCES)).toEqual(['generic']);
    expect(otAttributes.get(STATUS)).toBe('open');
    expect(otAttributes.get(UNHANDLED)).toBe(false);
    expect(otAttributes.get(AWAITING_APPROVAL)).toBe(true);
    expect((await attributes(run)).get(STATUS)).toBe('awaiting-approval');
    expect((await attributes(itIncident)).get(SOURCES)).toEqual(['splunk']);
    // Stored in clear (codecs do not apply): no host name, address, user or title.
    const stored = JSON.stringify(
      await Promise.all([ot, itIncident, run].map(async (id) => (await client.workflow.getHandle(id).describe()).raw)),
    );
    for (const personal of ['fin-lt-042', 'plc-7', '10.30.5.42', '10.20.1.7', 'Modbus write', 'Ransomware'])
      expect(stored.includes(`"${personal}`)).toBe(false);
  });

  it('change when the approval is decided and when the incidents close', async () => {
    const approval = await pendingApprovalFor(stack, ot);
    expect((await decide(stack, approval.id, 'omar', 'approve')).status).toBe(200);
    expect((await decide(stack, approval.id, 'grace', 'approve')).status).toBe(200);
    await expectListed("InterlockAwaitingApproval = true AND InterlockZones = 'line1-cell'", []);
    await eventually(
      async () => ((await attributes(run)).get(STATUS) === 'completed' ? true : undefined),
      'the playbook run completed',
    );
    expect((await attributes(run)).get(AWAITING_APPROVAL)).toBe(false);
    // closeAfterIdle is 10 s in this stack.
    await eventually(
      async () =>
        (await list("InterlockStatus = 'closed' AND WorkflowType = 'incidentWorkflow'")).length === 2
          ? true
          : undefined,
      'both incidents closed',
      60_000,
    );
    await expectListed("InterlockStatus = 'closed' AND WorkflowType = 'incidentWorkflow'", [ot, itIncident]);
  }, 90_000);
});
