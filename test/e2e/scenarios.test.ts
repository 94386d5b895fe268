/**
 * The acceptance scenarios of ot-safety.md (S1-S8, S10), the blast-radius storm, the saga
 * rollback and the playbook tooling, end to end against one real stack: API and worker as
 * processes, the Temporal dev server, PostgreSQL, and vendor stubs (CrowdStrike, FortiGate,
 * Jira, Okta) that record every call. Scenarios run in order and share the stack; each asserts
 * the stub calls it caused and the audit records (with rule names) of its incident.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AuditRecord } from '../../src/audit/types';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  FORTIGATE_ADD_USERS_PATH,
  FORTIGATE_CLEAR_USERS_PATH,
  type RecordedCall,
} from '../stubs';
import { JIRA_ISSUE_PATH, startJiraStub, type JiraStub } from '../../integrations/jira/jira.stub';
import { OKTA_USERS_PATH, startOktaStub, type OktaStub } from '../../integrations/okta/okta.stub';
import { auditOf, decide, pendingApprovalFor, type Approval } from '../support/e2e';
import { CROWDSTRIKE_AGENT_FIN_LT_042, REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

const APPROVAL_TTL_MS = 12_000;
const AUDIT_TIMEOUT_MS = 30_000;
const BLAST_RADIUS = { perRun: 5, perHour: 10 };
const REQUESTER_KEY = 'interlock-requester-key-0123456789';
const JIRA = { email: 'interlock@example.net', apiToken: 'jira-test-api-token', projectKey: 'SEC' };
const OKTA_TOKEN = 'okta-test-api-token';
const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');

/** A saga playbook: two automatic containments, then a step that fails, rolled back newest first. */
const SAGA_PLAYBOOK = `
id: t-saga-rollback
name: Test - roll back on failure
version: 1
rollbackOnFailure: true
triggers:
  - sources: [generic]
    when: 'alert.rule.uid == "test-saga"'
steps:
  - id: contain-laptop
    action: edr.contain_host
    target: fin-lt-042
  - id: quarantine-printer
    action: firewall.quarantine_ip
    target: 10.30.7.7
  - id: contain-unmanaged
    action: edr.contain_host
    target: 10.30.8.8
`;

let stack: Stack;
let jira: JiraStub;
let okta: OktaStub;

beforeAll(async () => {
  [jira, okta] = await Promise.all([startJiraStub(JIRA), startOktaStub({ apiToken: OKTA_TOKEN })]);
  const playbooksDir = mkdtempSync(join(tmpdir(), 'interlock-scenarios-'));
  for (const file of readdirSync(join(REPO_ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml')))
    cpSync(join(REPO_ROOT, 'playbooks', file), join(playbooksDir, file));
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'playbooks'), playbooksDir, { recursive: true });
  writeFileSync(join(playbooksDir, 't-saga-rollback.yaml'), SAGA_PLAYBOOK);
  const now = Date.now();
  stack = await startStack({
    approvalTtl: `${APPROVAL_TTL_MS}ms`,
    configure: (config) => {
      const c = config as Record<string, unknown> & {
        operators: unknown[];
        zones: unknown[];
        policy: Record<string, unknown>;
        integrations: Record<string, unknown>;
        playbooks: { dir: string };
      };
      c.playbooks.dir = playbooksDir;
      // The engine's own ID as an operator, to prove a requester cannot approve its own request.
      c.operators.push({ id: 'interlock', name: 'Requester', roles: ['ot-engineer'], apiKey: REQUESTER_KEY });
      c.zones.push(
        { id: 'line1-sup', purdueLevel: 2, mode: 'approve', cidrs: ['10.25.0.0/16'] },
        { id: 'line2-sup', purdueLevel: 2, mode: 'approve', cidrs: ['10.26.0.0/16'] },
      );
      c['maintenanceWindows'] = [
        {
          id: 'mw-line1-sup',
          zone: 'line1-sup',
          start: new Date(now - 3_600_000).toISOString(),
          end: new Date(now + 3_600_000).toISOString(),
          changeTicket: 'CHG0099001',
        },
      ];
      c.policy['blastRadius'] = BLAST_RADIUS;
      c.integrations['jira'] = { baseUrl: jira.url, ...JIRA, timeout: '5s' };
      c.integrations['okta'] = { baseUrl: okta.url, apiToken: OKTA_TOKEN, timeout: '5s' };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([jira?.close(), okta?.close()]);
});

// ---------------------------------------------------------------------------------------------

async function send(fields: Record<string, unknown>): Promise<string> {
  const response = await stack.webhook('generic', { time: '2026-11-20T11:00:00Z', severity: 'high', ...fields });
  expect(response.status).toBe(202);
  return ((await response.json()) as { incidentId: string }).incidentId;
}

const has =
  (type: string, count = 1) =>
  (records: AuditRecord[]) =>
    records.filter((r) => r.eventType === type).length >= count;
const ofType = (records: AuditRecord[], type: string) => records.filter((r) => r.eventType === type);
const decisions = (records: AuditRecord[]) =>
  ofType(records, 'policy.decided').map((r) => ({
    step: r.stepId,
    outcome: r.decision?.outcome,
    rule: r.decision?.rule,
  }));

const okCalls = (calls: RecordedCall[]) => calls.filter((c) => c.status < 300);
const bans = () => okCalls(stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH));
const bannedIps = () => bans().flatMap((c) => (c.body as { ip_addresses: string[] }).ip_addresses);
const containCalls = () =>
  okCalls(stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH)).filter(
    (c) => c.query['action_name'] === 'contain',
  );
const jiraIssues = () => okCalls(jira.callsTo(JIRA_ISSUE_PATH)).filter((c) => c.path === JIRA_ISSUE_PATH);
const summaries = () => jiraIssues().map((c) => (c.body as { fields: { summary: string } }).fields.summary);
const mentions = (calls: RecordedCall[], text: string) =>
  calls.some((c) => JSON.stringify(c.body ?? '').includes(text));

// ---------------------------------------------------------------------------------------------

describe('S1: ransomware on an office laptop', () => {
  it('contains the laptop and disables the account automatically under rule 2', async () => {
    const response = await stack.webhook('splunk', SPLUNK_SAMPLE);
    expect(response.status).toBe(202);
    const { incidentId } = (await response.json()) as { incidentId: string };
    const records = await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);

    expect(decisions(records)).toEqual([
      { step: 'contain-host', outcome: 'auto', rule: 'rule-2-auto-it' },
      { step: 'disable-account', outcome: 'auto', rule: 'rule-2-auto-it' },
    ]);
    expect(containCalls().map((c) => c.body)).toEqual([{ ids: [CROWDSTRIKE_AGENT_FIN_LT_042] }]);
    expect(okCalls(okta.callsTo(`${OKTA_USERS_PATH}/jdoe/lifecycle/suspend`))).toHaveLength(1);
    expect(okta.suspended.has('jdoe')).toBe(true);
    const executed = ofType(records, 'action.executed');
    expect(executed.map((r) => [r.action?.type, r.decision?.rule, r.details?.['compensation']])).toEqual([
      ['edr.contain_host', 'rule-2-auto-it', 'edr.release_host'],
      ['identity.disable_account', 'rule-2-auto-it', 'identity.enable_account'],
    ]);
    expect(records.some((r) => r.eventType.startsWith('approval.'))).toBe(false);
  });
});

describe('S2 + S8: unauthorized PLC programming, and approval hygiene', () => {
  let incidentId: string;
  let approval: Approval;

  it('creates a logic-compare task, touches nothing on the PLC, and asks two OT approvers for the conduit block', async () => {
    incidentId = await send({
      id: 's2-1',
      title: 'Unauthorized PLC Programming',
      severity: 'critical',
      src: { host: 'eng-ws-03', ip: '10.10.4.17' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    });
    approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({
      stepId: 'block-source-at-conduit',
      requiredApprovals: 2,
      requiredRoles: ['ot-engineer'],
    });
    const records = await auditOf(stack, incidentId, has('approval.requested'), AUDIT_TIMEOUT_MS);
    expect(decisions(records)).toEqual([
      { step: 'logic-compare-task', outcome: 'auto', rule: 'read-only' },
      { step: 'block-source-at-conduit', outcome: 'approve', rule: 'rule-7-dual-approval' },
    ]);
    expect(summaries()).toContain('Compare the logic of plc-7 with the approved baseline');
    expect(bannedIps()).not.toContain('10.10.4.17');
    expect(mentions(stack.crowdstrike.calls, '10.20.1.7') || mentions(stack.fortigate.calls, '10.20.1.7')).toBe(false);
  });

  it('refuses a SOC-only approver, the requester, a changed action and the same person twice', async () => {
    expect(await decide(stack, approval.id, { operator: 'alice' })).toMatchObject({
      status: 403,
      body: { error: { code: 'approver_not_authorized' } },
    });
    expect(await decide(stack, approval.id, { apiKey: REQUESTER_KEY })).toMatchObject({
      status: 403,
      body: { error: { code: 'self_approval' } },
    });
    expect(
      await decide(stack, approval.id, { operator: 'omar' }, { decision: 'approve', actionDigest: 'f'.repeat(64) }),
    ).toMatchObject({ status: 409, body: { error: { code: 'action_changed' } } });

    expect(
      await decide(
        stack,
        approval.id,
        { operator: 'omar' },
        { decision: 'approve', actionDigest: approval.actionDigest },
      ),
    ).toMatchObject({ status: 200, body: { status: 'pending', approvalsRemaining: 1 } });
    expect(await decide(stack, approval.id, { operator: 'omar' })).toMatchObject({
      status: 409,
      body: { error: { code: 'duplicate_approver' } },
    });
    // A SOC analyst cannot be the second of two approvers either.
    expect(await decide(stack, approval.id, { operator: 'alice' })).toMatchObject({
      status: 403,
      body: { error: { code: 'approver_not_authorized' } },
    });
    expect(bannedIps()).not.toContain('10.10.4.17');
  });

  it('blocks the workstation at the conduit once a second OT engineer approves, audited with both approvers', async () => {
    expect(await decide(stack, approval.id, { operator: 'grace' })).toMatchObject({
      status: 200,
      body: { status: 'approved', approvalsRemaining: 0 },
    });
    const records = await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);
    expect(bannedIps().filter((ip) => ip === '10.10.4.17')).toHaveLength(1);
    const executed = ofType(records, 'action.executed').find((r) => r.stepId === 'block-source-at-conduit');
    expect(executed).toMatchObject({
      decision: { rule: 'rule-7-dual-approval' },
      approval: { approvers: [{ operatorId: 'omar' }, { operatorId: 'grace' }] },
    });
    expect(ofType(records, 'approval.decided').map((r) => r.actor.id)).toEqual(['omar', 'grace']);
  });
});

describe('S3: new device on a level-2 network', () => {
  it('auto-closes the confirmation ticket inside a listed maintenance window, and only there', async () => {
    const inside = await send({ id: 's3-1', title: 'New device detected', hosts: [{ ip: '10.25.0.50' }] });
    const outside = await send({ id: 's3-2', title: 'New device detected', hosts: [{ ip: '10.26.0.50' }] });
    const [insideRecords, outsideRecords] = await Promise.all([
      auditOf(stack, inside, has('playbook.completed'), AUDIT_TIMEOUT_MS),
      auditOf(stack, outside, has('playbook.completed'), AUDIT_TIMEOUT_MS),
    ]);
    const closed = [...jira.issues.values()].find((i) => i.summary === 'Confirm the new device 10.25.0.50');
    const open = [...jira.issues.values()].find((i) => i.summary === 'Confirm the new device 10.26.0.50');
    expect(closed).toMatchObject({ status: 'done', comments: [expect.stringContaining('CHG0099001')] });
    expect(open).toMatchObject({ status: 'open', comments: [] });
    expect(ofType(insideRecords, 'action.executed')[0]?.result?.detail).toContain('maintenance window mw-line1-sup');
    expect(ofType(outsideRecords, 'action.executed')[0]?.result?.detail).not.toContain('maintenance window');
  });
});

describe('S4 + dry-run: Modbus write from an IT host to a PLC', () => {
  const alert = {
    id: 's4-1',
    title: 'Modbus write to PLC',
    src: { host: 'fin-lt-042', ip: '10.30.5.42' },
    dst: { host: 'plc-7', ip: '10.20.1.7' },
  };

  it('contains the IT source automatically, holds the conduit rule for approval, leaves the PLC untouched', async () => {
    const before = containCalls().length;
    const incidentId = await send(alert);
    await pendingApprovalFor(stack, incidentId);
    const records = await auditOf(stack, incidentId, has('approval.requested'), AUDIT_TIMEOUT_MS);
    expect(decisions(records)).toEqual([
      { step: 'contain-source', outcome: 'auto', rule: 'rule-2-auto-it' },
      { step: 'block-source-at-conduit', outcome: 'approve', rule: 'rule-7-dual-approval' },
    ]);
    expect(containCalls()).toHaveLength(before + 1);
    expect(bannedIps()).not.toContain('10.30.5.42');

    // The dry run decides exactly as the real run did, and calls nothing.
    const callsBefore = [
      stack.crowdstrike.calls.length,
      stack.fortigate.calls.length,
      jira.calls.length,
      okta.calls.length,
    ];
    const response = await stack.api('/playbooks/s4-modbus-write-it-to-plc/dry-run', {
      method: 'POST',
      operator: 'alice',
      body: { source: 'generic', alert: { ...alert, id: 's4-dry', time: '2026-11-20T11:00:00Z', severity: 'high' } },
    });
    expect(response.status).toBe(200);
    const dry = (await response.json()) as {
      triggerMatches: boolean;
      match: { matched: boolean };
      playbooks: {
        playbookId: string;
        matched: boolean;
        triggers: { failed?: { condition: string; values: object } }[];
      }[];
      alert: { ot: { operation: string }; network: { industrial: boolean } };
      steps: { stepId: string; outcome: string; rule: string; actionDigest: string; target: { assetId?: string } }[];
    };
    expect(dry.triggerMatches).toBe(true);
    expect(dry.match.matched).toBe(true);
    expect(dry.alert).toMatchObject({ ot: { operation: 'write' }, network: { industrial: true } });
    // Every loaded playbook is explained: S5 did not match, and says which condition was false.
    const s5 = dry.playbooks.find((p) => p.playbookId === 's5-plc-stop-command');
    expect(s5?.matched).toBe(false);
    expect(s5?.triggers[0]?.failed).toMatchObject({
      condition: 'alert.ot.operation == "mode_change"',
      values: { 'alert.ot.operation': 'write' },
    });
    expect(dry.steps.map((s) => ({ step: s.stepId, outcome: s.outcome, rule: s.rule }))).toEqual(decisions(records));
    expect(dry.steps.map((s) => s.actionDigest)).toEqual(
      ofType(records, 'policy.decided').map((r) => r.action?.digest),
    );
    expect(dry.steps[1]?.target).toMatchObject({ assetId: 'plc-7', zone: 'line1-cell', purdueLevel: 1, domain: 'ot' });
    await new Promise((r) => setTimeout(r, 300));
    expect([
      stack.crowdstrike.calls.length,
      stack.fortigate.calls.length,
      jira.calls.length,
      okta.calls.length,
    ]).toEqual(callsBefore);
  });
});

describe('S5: PLC stop command seen', () => {
  it('pages operations, only recommends restoring the run mode (rule 4, a task), and waits for approval to block', async () => {
    const incidentId = await send({
      id: 's5-1',
      title: 'PLC stop command observed',
      src: { host: 'eng-ws-03', ip: '10.10.4.17' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    });
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval.stepId).toBe('block-sender-at-conduit');
    const records = await auditOf(stack, incidentId, has('task.created'), AUDIT_TIMEOUT_MS);
    expect(decisions(records)).toEqual([
      { step: 'page-operations', outcome: 'auto', rule: 'read-only' },
      { step: 'restore-run-mode', outcome: 'recommend', rule: 'rule-4-never-automated-ot' },
      { step: 'block-sender-at-conduit', outcome: 'approve', rule: 'rule-7-dual-approval' },
    ]);
    expect(summaries()).toContain('PLC stop command seen on plc-7: check the process state now');
    expect(summaries()).toContain('ot.change_mode on plc-7');
    const task = ofType(records, 'task.created')[0];
    expect(task).toMatchObject({
      stepId: 'restore-run-mode',
      decision: { rule: 'rule-4-never-automated-ot' },
      result: { status: 'succeeded' },
    });
    expect(ofType(records, 'action.executed').map((r) => r.stepId)).toEqual(['page-operations']);
  });
});

describe('S6: traffic to the SIS controller', () => {
  it('refuses every action and escalates to the safety owner', async () => {
    const jiraBefore = jira.calls.length;
    const incidentId = await send({
      id: 's6-1',
      title: 'Traffic to SIS controller',
      src: { host: 'eng-ws-03', ip: '10.10.4.17' },
      dst: { host: 'sis-1', ip: '10.20.9.1' },
    });
    const records = await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);
    expect(decisions(records)).toEqual([
      { step: 'block-sender-at-sis-conduit', outcome: 'refuse', rule: 'rule-5-safety-system' },
      { step: 'isolate-sis', outcome: 'refuse', rule: 'rule-5-safety-system' },
    ]);
    expect(ofType(records, 'people.alerted').map((r) => r.decision?.rule)).toEqual([
      'rule-5-safety-system',
      'rule-5-safety-system',
    ]);
    expect(records.some((r) => r.eventType.startsWith('approval.') || r.eventType === 'action.executed')).toBe(false);
    expect(jira.calls.length).toBe(jiraBefore);
    expect(mentions(stack.fortigate.calls, '10.20.9.1')).toBe(false);
  });
});

describe('S7 + S8: unknown IP as target, and approval after expiry', () => {
  it('treats the unknown address as OT, and an approval after expiry does not act', async () => {
    const incidentId = await send({
      id: 's7-1',
      title: 'Suspicious connection to unlisted host',
      src: { host: 'fin-lt-042', ip: '10.30.5.42' },
      dst: { ip: '198.51.100.77' },
    });
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({ requiredApprovals: 1, requiredRoles: ['ot-engineer'] });
    const records = await auditOf(stack, incidentId, has('approval.expired'), AUDIT_TIMEOUT_MS);
    expect(decisions(records)).toEqual([
      { step: 'quarantine-destination', outcome: 'approve', rule: 'rule-1-unknown-is-ot' },
    ]);
    expect(ofType(records, 'approval.expired')[0]?.decision?.rule).toBe('rule-8-approval-expired');
    const late = await decide(stack, approval.id, { operator: 'omar' });
    expect([409, 410]).toContain(late.status);
    expect(bannedIps()).not.toContain('198.51.100.77');
  }, 40_000);
});

describe('S10: a playbook targeting a PLC with no approval step', () => {
  const playbook = {
    id: 'plc-block',
    name: 'Block at the PLC',
    version: 1,
    triggers: [{ when: 'true' }],
    steps: [
      { id: 'block', action: 'firewall.quarantine_ip', target: 'plc-7', params: { ip: '10.30.5.99' } },
      { id: 'restart', action: 'ot.restart_device', target: '{{ alert.dst.ip }}' },
      { id: 'ticket', action: 'task.create', target: 'plc-7' },
    ],
  };

  it('validation warns that the step will require approval, and flags rule-4 actions', async () => {
    const response = await stack.api('/playbooks/validate', { method: 'POST', operator: 'alice', body: { playbook } });
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      valid: boolean;
      warnings: { path: string; outcome: string; rule?: string }[];
    };
    expect(result.valid).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({ path: 'steps.0', outcome: 'approve', rule: 'rule-7-dual-approval' }),
      expect.objectContaining({ path: 'steps.1', outcome: 'depends-on-target', rule: 'rule-4-never-automated-ot' }),
    ]);
  });

  it('validation reports schema errors with field paths (YAML too), and needs an operator key', async () => {
    const invalid = { ...playbook, steps: [{ id: 'x', action: 'plc.write', target: 'plc-7', approval: 'omar' }] };
    const response = await stack.api('/playbooks/validate', {
      method: 'POST',
      operator: 'alice',
      body: { playbook: invalid },
    });
    const result = (await response.json()) as { valid: boolean; issues: { path: string }[] };
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => i.path).sort()).toEqual(['steps.0.action', 'steps.0.approval']);
    const yaml = await stack.api('/playbooks/validate', {
      method: 'POST',
      operator: 'alice',
      body: {
        yaml: 'id: x\nname: y\nversion: 1\ntriggers: [{when: "true"}]\nsteps:\n  - id: a\n    action: nope\n    target: plc-7\n',
      },
    });
    expect(((await yaml.json()) as { issues: { path: string; line?: number }[] }).issues).toEqual([
      expect.objectContaining({ path: 'steps.0.action', line: 7 }),
    ]);
    expect((await stack.api('/playbooks/validate', { method: 'POST', body: { playbook } })).status).toBe(401);
    const bad = await stack.api('/playbooks/validate', { method: 'POST', operator: 'alice', body: { nonsense: 1 } });
    expect(bad.status).toBe(400);
  });

  it('the engine gates such a step at run time anyway', async () => {
    const incidentId = await send({
      id: 's10-1',
      title: 'Test quarantine',
      rule: { id: 'test-quarantine' },
      hosts: [{ ip: '10.20.1.7' }],
    });
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({ stepId: 'quarantine-host', requiredApprovals: 2 });
    expect(bannedIps()).not.toContain('10.20.1.7');
  });

  it('GET /playbooks lists the shipped playbooks with their policy warnings', async () => {
    const response = await stack.api('/playbooks', { operator: 'alice' });
    const { playbooks } = (await response.json()) as { playbooks: { id: string; warnings: unknown[] }[] };
    expect(playbooks.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        's1-ransomware-office-laptop',
        's2-unauthorized-plc-programming',
        's7-unknown-ip-target',
      ]),
    );
    expect(
      (await stack.api('/playbooks/nope/dry-run', { method: 'POST', operator: 'alice', body: { alert: {} } })).status,
    ).toBe(404);
  });
});

describe('rule 10: saga rollback', () => {
  it('rolls back earlier actions newest first when a later step fails, each decided and audited', async () => {
    const releasesBefore = okCalls(stack.fortigate.callsTo(FORTIGATE_CLEAR_USERS_PATH)).length;
    const incidentId = await send({ id: 'saga-1', title: 'Saga', rule: { id: 'test-saga' } });
    const records = await auditOf(stack, incidentId, has('playbook.failed'), AUDIT_TIMEOUT_MS);
    expect(ofType(records, 'playbook.rolling-back')).toHaveLength(1);
    expect(decisions(records).map((d) => d.step)).toEqual([
      'contain-laptop',
      'quarantine-printer',
      'contain-unmanaged',
      'quarantine-printer-rollback',
      'contain-laptop-rollback',
    ]);
    expect(ofType(records, 'action.executed').map((r) => r.action?.type)).toEqual([
      'edr.contain_host',
      'firewall.quarantine_ip',
      'firewall.release_ip',
      'edr.release_host',
    ]);
    expect(okCalls(stack.fortigate.callsTo(FORTIGATE_CLEAR_USERS_PATH))).toHaveLength(releasesBefore + 1);
    const lifts = okCalls(stack.crowdstrike.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH)).filter(
      (c) => c.query['action_name'] === 'lift_containment',
    );
    expect(lifts.map((c) => c.body)).toEqual([{ ids: [CROWDSTRIKE_AGENT_FIN_LT_042] }]);
  });
});

describe('rule 14: blast radius under an alert storm', () => {
  it('contains exactly the hourly limit automatically and asks approval for the rest', async () => {
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const used = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM automatic_containments')).rows[0]?.n);
    const remaining = BLAST_RADIUS.perHour - used;
    expect(remaining).toBeGreaterThan(0);
    const beyond = 3;
    const bansBefore = bans().length;
    const incidents = await Promise.all(
      Array.from({ length: remaining + beyond }, (_, i) =>
        send({
          id: `storm-${i}`,
          title: 'Storm',
          rule: { id: 'test-quarantine' },
          hosts: [{ ip: `10.30.200.${i + 1}` }],
        }),
      ),
    );
    const outcomes = await Promise.all(
      incidents.map(async (incidentId) => {
        const records = await auditOf(
          stack,
          incidentId,
          (r) => has('action.executed')(r) || has('approval.requested')(r),
          AUDIT_TIMEOUT_MS,
        );
        return ofType(records, 'policy.decided')[0]?.decision?.rule;
      }),
    );
    expect(outcomes.filter((rule) => rule === 'rule-2-auto-it')).toHaveLength(remaining);
    expect(outcomes.filter((rule) => rule === 'rule-14-blast-radius')).toHaveLength(beyond);
    await eventually(() => (bans().length === bansBefore + remaining ? true : undefined), 'the automatic bans');
    const total = Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM automatic_containments')).rows[0]?.n,
    );
    await db.end();
    expect(total).toBe(BLAST_RADIUS.perHour);
  }, 60_000);
});
