/**
 * The first incident end to end (issue: Foundation). Real processes: the API and the worker
 * run as `node dist/src/main.js api|worker`, against the real Temporal dev server, a fresh
 * PostgreSQL database and vendor stubs over HTTP.
 */
import type { AuditRecord } from '../../src/audit/types';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH } from '../stubs';
import { accepted, auditOf, decide, liftContainment, pendingApprovalFor, types } from '../support/e2e';
import {
  containments,
  expectChainVerifies,
  fortigateBans,
  genericAlert,
  s1ContainsLaptopOnce,
  s4DualApproval,
  workerKilledWhileWaiting,
} from '../support/scenarios';
import { CROWDSTRIKE_AGENT_FIN_LT_042, eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('S1: ransomware on an office laptop (Splunk)', () => {
  let incidentId: string;

  it('contains the laptop through CrowdStrike once, with no human, even when Splunk delivers twice', async () => {
    incidentId = await s1ContainsLaptopOnce(stack);
  });

  it('keeps an ordered, hash-chained audit trail that verifies', async () => {
    const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
    expect(types(records)).toEqual(
      expect.arrayContaining([
        'incident.opened',
        'alert.received',
        'playbook.started',
        'policy.decided',
        'action.executed',
        'playbook.completed',
        'alert.duplicate',
      ]),
    );
    const order = (t: AuditRecord['eventType']) => types(records).indexOf(t);
    expect(order('incident.opened')).toBeLessThan(order('alert.received'));
    expect(order('alert.received')).toBeLessThan(order('playbook.started'));
    expect(order('policy.decided')).toBeLessThan(order('action.executed'));
    expect(order('action.executed')).toBeLessThan(order('playbook.completed'));
    const seqs = records.map((r) => r.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(records[0]?.trigger).toMatchObject({
      source: 'splunk',
      title: 'EDR - Ransomware Behaviour',
      rawSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    await expectChainVerifies(stack, incidentId);
    await expectChainVerifies(stack);
  });

  it('contains the laptop in the incident workflow’s own task, before the playbook run’s workflow starts', async () => {
    const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
    const incidentRunId = records.find((r) => r.eventType === 'incident.opened')?.runId;
    const containment = records.find((r) => r.eventType === 'action.executed' && r.stepId === 'contain-host');
    const completed = records.find((r) => r.eventType === 'playbook.completed');
    // The first step's records carry the run's workflow ID but the incident run's ID: the
    // incident workflow decided and executed it; the run's own workflow took over after it.
    expect(containment?.workflowId).toBe(`${incidentId}.s1-ransomware-office-laptop`);
    expect(containment?.runId).toBe(incidentRunId);
    expect(completed?.workflowId).toBe(containment?.workflowId);
    expect(completed?.runId).not.toBe(incidentRunId);
    expect(types(records).filter((t) => t === 'playbook.started')).toHaveLength(1);
    expect(containments(stack)).toHaveLength(1);
  });

  it('runs a playbook that needs nobody entirely in the incident workflow: contained, the rest skipped, no child run', async () => {
    const before = containments(stack).length;
    const response = await stack.webhook(
      'generic',
      genericAlert('s1-nouser-0001', {
        title: 'Ransomware behaviour on fin-lt-042',
        rule: { id: 's1-nouser' },
        hosts: [{ name: 'fin-lt-042' }],
      }),
    );
    const { incidentId: id } = await accepted(response);
    const records = await auditOf(stack, id, (r) => types(r).includes('playbook.completed'));
    const incidentRunId = records.find((r) => r.eventType === 'incident.opened')?.runId;
    const run = records.filter((r) => r.playbookId === 's1-ransomware-office-laptop');
    // Every record of the run, completion included, comes from the incident workflow's run.
    expect(run.map((r) => r.runId)).toEqual(run.map(() => incidentRunId));
    expect(types(run)).toEqual([
      'playbook.started',
      'policy.decided',
      'action.executed',
      'action.skipped',
      'playbook.completed',
    ]);
    expect(run.find((r) => r.eventType === 'action.skipped')?.stepId).toBe('disable-account');
    expect(run.find((r) => r.eventType === 'playbook.completed')?.details).toMatchObject({
      outcomes: [
        { stepId: 'contain-host', status: 'executed', rule: 'rule-2-auto-it' },
        { stepId: 'disable-account', status: 'skipped' },
      ],
    });
    expect(containments(stack)).toHaveLength(before + 1);
    await expectChainVerifies(stack, id);
  });

  it('hands a containment whose first attempt fails to the playbook run, which retries it under the same ledger key', async () => {
    // Contained by the tests above: lifted, so the retry finds it not contained and contains it.
    await liftContainment(stack, CROWDSTRIKE_AGENT_FIN_LT_042);
    const before = containments(stack).length;
    // Every request of the incident workflow's single attempt (the client's own retries included) fails.
    stack.crowdstrike.failNext(503, 4, {}, { path: CROWDSTRIKE_DEVICE_ACTIONS_PATH });
    const { incidentId: id } = await accepted(
      await stack.webhook(
        'generic',
        genericAlert('s1-retry-0001', {
          title: 'Ransomware behaviour on fin-lt-042',
          rule: { id: 's1-retry' },
          hosts: [{ name: 'fin-lt-042' }],
        }),
      ),
    );
    const records = await auditOf(stack, id, (r) => types(r).includes('playbook.completed'), 60_000);
    const incidentRunId = records.find((r) => r.eventType === 'incident.opened')?.runId;
    const executedRecord = records.find((r) => r.eventType === 'action.executed');
    expect(executedRecord?.stepId).toBe('contain-host');
    // Carried out by the run's own workflow, after the incident workflow's attempt failed.
    expect(executedRecord?.runId).not.toBe(incidentRunId);
    // …under the key of the incident workflow's attempt: the action ledger acts once per key.
    expect(executedRecord?.idempotencyKey).toBe(
      `${id}.s1-ransomware-office-laptop:${incidentRunId}:contain-host:executed`,
    );
    expect(types(records)).not.toContain('action.failed');
    expect(containments(stack)).toHaveLength(before + 1);
  }, 90_000);
});

describe('S4: Modbus write from an IT host to a PLC', () => {
  it('contains the IT source automatically, and blocks at the conduit only after two OT approvals', async () => {
    await s4DualApproval(stack);
  });
});

describe('approval-gated quarantine of OT and unknown targets', () => {
  it('never calls the firewall for an engineering workstation when an OT engineer rejects', async () => {
    const { incidentId } = await accepted(
      await stack.webhook(
        'generic',
        genericAlert('ews-0001', {
          title: 'Suspicious tool on EWS',
          rule: { id: 'test-quarantine' },
          hosts: [{ name: 'eng-ws-03', ip: '10.10.4.17' }],
        }),
      ),
    );
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({ requiredApprovals: 2, target: { assetId: 'eng-ws-03', zone: 'eng' } });
    expect(await decide(stack, approval.id, 'omar', 'reject')).toMatchObject({
      status: 200,
      body: { status: 'rejected' },
    });
    const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
    expect(types(records)).not.toContain('action.executed');
    expect(fortigateBans(stack).filter((c) => JSON.stringify(c.body).includes('10.10.4.17'))).toHaveLength(0);
    expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({
      status: 409,
      body: { error: { code: 'approval_already_decided' } },
    });
  });

  it('treats an IP in no known zone as OT, refuses unauthorized approvers, and acts once after approval', async () => {
    const before = fortigateBans(stack).length;
    const { incidentId } = await accepted(
      await stack.webhook(
        'generic',
        genericAlert('unk-0001', {
          title: 'Beacon to unknown host',
          rule: { id: 'test-quarantine' },
          hosts: [{ ip: '192.0.2.77' }],
        }),
      ),
    );
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({ requiredApprovals: 1, target: { ips: ['192.0.2.77'] } });

    expect(await decide(stack, approval.id, 'alice', 'approve')).toMatchObject({
      status: 403,
      body: { error: { code: 'approver_not_authorized' } },
    });
    const badKey = await stack.api(`/approvals/${approval.id}/decision`, {
      method: 'POST',
      apiKey: 'not-a-real-key-000000',
      body: { decision: 'approve' },
    });
    expect(badKey.status).toBe(401);
    const noKey = await stack.api(`/approvals?status=pending`);
    expect(noKey.status).toBe(401);
    const badBody = await stack.api(`/approvals/${approval.id}/decision`, {
      method: 'POST',
      operator: 'omar',
      body: { decision: 'maybe' },
    });
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toMatchObject({ error: { issues: [{ path: 'decision' }] } });
    expect(fortigateBans(stack)).toHaveLength(before);

    expect(await decide(stack, approval.id, 'omar', 'approve')).toMatchObject({
      status: 200,
      body: { status: 'approved' },
    });
    const bans = await eventually(
      () => (fortigateBans(stack).length > before ? fortigateBans(stack).slice(before) : undefined),
      'the quarantine call',
    );
    expect(bans.map((b) => b.body)).toEqual([{ ip_addresses: ['192.0.2.77'], expiry: 3600 }]);
    expect(await decide(stack, approval.id, 'grace', 'approve')).toMatchObject({ status: 409 });

    const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
    const decided = records.find((r) => r.eventType === 'policy.decided');
    expect(decided).toMatchObject({
      decision: { outcome: 'approve', rule: 'rule-1-unknown-is-ot' },
      target: { known: false },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(fortigateBans(stack).length - before).toBe(1);
  });

  it('loses nothing when the worker is killed while an incident waits for approval', async () => {
    await workerKilledWhileWaiting(stack);
  });

  it('refuses every action on a safety instrumented system, with no approval asked', async () => {
    const { incidentId } = await accepted(
      await stack.webhook(
        'generic',
        genericAlert('sis-0001', {
          title: 'Traffic to SIS',
          rule: { id: 'test-quarantine' },
          hosts: [{ name: 'sis-1', ip: '10.20.9.1' }],
        }),
      ),
    );
    const records = await auditOf(stack, incidentId, (r) => types(r).includes('playbook.completed'));
    expect(records.find((r) => r.eventType === 'policy.decided')?.decision).toMatchObject({
      outcome: 'refuse',
      rule: 'rule-5-safety-system',
    });
    expect(types(records)).not.toContain('approval.requested');
    expect(types(records)).not.toContain('action.executed');
  });
});

describe('bad input', () => {
  it('answers malformed JSON, wrong tokens, oversized bodies, wrong media types and invalid alerts with JSON 4xx, and keeps working', async () => {
    const malformed = await stack.webhook('generic', '{"title": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'malformed_json' } });

    const wrongToken = await stack.webhook('generic', genericAlert('x', { title: 't' }), {
      authorization: 'Bearer wrong-token',
    });
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toMatchObject({ error: { code: 'unauthorized' } });

    const oversized = await stack.webhook('generic', genericAlert('big', { title: 'x'.repeat(70_000) }));
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ error: { code: 'payload_too_large' } });

    const wrongType = await stack.webhook('generic', 'title=x', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);

    const invalid = await stack.webhook('generic', { severity: 'apocalyptic', hosts: 'not-a-list' });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('invalid_alert');
    expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['title', 'severity', 'hosts']));

    const unknownSource = await stack.webhook('generic', {}, {});
    expect(unknownSource.status).toBe(400);
    const health = await fetch(`${stack.apiUrl}/health`);
    expect(await health.json()).toEqual({ status: 'up', checks: { database: 'up', temporal: 'up' } });
  });
});
