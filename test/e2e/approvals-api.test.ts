/**
 * The approvals API end to end (issue 13): partial approvals are visible everywhere as soon as
 * they are given, an Idempotency-Key counts a retry once and refuses its reuse for another
 * request (422), and GET /approvals pages with a validated query.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import type { AuditRecord } from '../../src/audit/types';
import { AesGcmPayloadCodec } from '../../src/runtime/payload-codec';
import { acceptedIncident, auditOf, auditRecords, decide, pendingApprovalFor, type Operator } from '../support/e2e';
import { API_KEYS, ENCRYPTION_KEY, REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface Vote {
  operatorId: string;
  roles: string[];
  decision: string;
  at: string;
  channel: string;
  reason?: string;
}
interface ListedApproval {
  id: string;
  incidentId: string;
  status: string;
  requiredApprovals: number;
  decisions: Vote[];
  decidedAt: string | null;
  description: { text: string; technical: string };
}
interface ApprovalList {
  approvals: ListedApproval[];
  nextCursor?: string;
}

async function list(query: string): Promise<ApprovalList> {
  const response = await stack.api(`/approvals${query}`, { operator: 'alice' });
  const body = await response.text();
  expect({ status: response.status, body }).toEqual({ status: 200, body: expect.any(String) });
  return JSON.parse(body) as ApprovalList;
}

/** Opens an incident whose quarantine of the host's address waits for approval. */
let alerts = 0;
async function approvalFor(
  host: string,
  ip: string,
): Promise<{ incidentId: string; approvalId: string; requiredApprovals: number }> {
  alerts += 1;
  const incidentId = await acceptedIncident(stack, {
    id: `approvals-api-${alerts}`,
    title: `Suspicious tool on ${host}`,
    severity: 'high',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: host, ip }],
  });
  const approval = await pendingApprovalFor(stack, incidentId);
  return { incidentId, approvalId: approval.id, requiredApprovals: approval.requiredApprovals };
}

/** POST /approvals/{id}/decision with an Idempotency-Key header. */
async function decideWithKey(approvalId: string, operator: Operator, key: string, body: Record<string, unknown>) {
  const response = await fetch(`${stack.apiUrl}/approvals/${approvalId}/decision`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_KEYS[operator]}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const votesIn = (records: AuditRecord[], approvalId: string) =>
  records.filter((r) => r.eventType === 'approval.decided' && r.approval?.approvalId === approvalId);

describe('partial approvals', () => {
  it('shows the first of two approvals in GET /approvals, the incident and its timeline as soon as it is given', async () => {
    const { incidentId, approvalId, requiredApprovals } = await approvalFor('eng-ws-03', '10.10.4.17');
    expect(requiredApprovals).toBe(2);
    const before = new Date().toISOString();
    expect(await decide(stack, approvalId, 'omar', 'approve')).toMatchObject({
      status: 200,
      body: { approvalId, status: 'pending', approvalsRemaining: 1 },
    });
    const after = new Date().toISOString();

    // No waiting: what the operator was told is already what everybody reads.
    const listed = await list(`?incidentId=${incidentId}`);
    expect(listed.approvals).toHaveLength(1);
    const [approval] = listed.approvals;
    expect(approval).toMatchObject({ id: approvalId, status: 'pending', decidedAt: null });
    // The action in words, with its technical form (the enforcement point read from the audit trail).
    expect(approval?.description).toEqual({
      text: expect.stringMatching(/^block 10\.10\.4\.17 \(eng-ws-03\) at the Fortinet FortiGate \(root\)/),
      technical: 'firewall.quarantine_ip 10.10.4.17 → fortigate:root',
    });
    expect(approval?.decisions).toEqual([
      {
        operatorId: 'omar',
        roles: ['ot-engineer'],
        decision: 'approve',
        channel: 'api',
        reason: 'test approve',
        at: expect.any(String),
      },
    ]);
    const at = approval?.decisions[0]?.at ?? '';
    expect(at >= before.slice(0, 19) && at <= after).toBe(true);

    const detail = await stack.api(`/incidents/${incidentId}`, { operator: 'alice' });
    const { pendingApprovals } = (await detail.json()) as { pendingApprovals: ListedApproval[] };
    expect(pendingApprovals.map((a) => [a.id, a.decisions.map((v) => [v.operatorId, v.at])])).toEqual([
      [approvalId, [['omar', at]]],
    ]);

    const page = await stack.api(`/ui/incidents/${incidentId}`, { operator: 'alice' });
    expect(page.status).toBe(200);
    const html = await page.text();
    const pending = /<section class="pending">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(pending).toContain('<span class="approval-count">1/2 approvals</span>');
    expect(pending).toContain(
      `<span class="approver">Omar Haddad (omar)</span> approved at ${at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} via api`,
    );

    // The workflow's vote activity records the same vote again: still exactly one.
    await auditOf(stack, incidentId, (records) => votesIn(records, approvalId).length === 1);
    expect((await list(`?incidentId=${incidentId}`)).approvals[0]?.decisions).toHaveLength(1);

    expect(await decide(stack, approvalId, 'grace', 'approve')).toMatchObject({
      status: 200,
      body: { status: 'approved', approvalsRemaining: 0 },
    });
    const closed = await eventually(async () => {
      const [row] = (await list(`?incidentId=${incidentId}`)).approvals;
      return row?.status === 'approved' ? row : undefined;
    }, 'the approval closed as approved');
    expect(closed.decisions.map((v) => v.operatorId)).toEqual(['omar', 'grace']);
  });
});

describe('Idempotency-Key', () => {
  it('answers a retry with the earlier result and counts it once; the same key for another request is a 422', async () => {
    const { incidentId, approvalId, requiredApprovals } = await approvalFor('plc-7', '10.20.1.7');
    expect(requiredApprovals).toBe(2);
    const body = { decision: 'approve', reason: 'checked the logic diff' };

    const first = await decideWithKey(approvalId, 'omar', 'key-1', body);
    expect(first).toEqual({ status: 200, body: { approvalId, status: 'pending', approvalsRemaining: 1 } });
    const retried = await decideWithKey(approvalId, 'omar', 'key-1', { ...body });
    expect(retried).toEqual(first);

    for (const changed of [
      { ...body, reason: 'another reason' },
      { decision: 'reject', reason: body.reason },
      { decision: 'approve' },
    ]) {
      expect(await decideWithKey(approvalId, 'omar', 'key-1', changed)).toMatchObject({
        status: 422,
        body: { error: { code: 'idempotency_key_reused' } },
      });
    }

    const [approval] = (await list(`?incidentId=${incidentId}`)).approvals;
    expect(approval).toMatchObject({ status: 'pending' });
    expect(approval?.decisions.map((v) => [v.operatorId, v.reason])).toEqual([['omar', body.reason]]);
    const records = await auditOf(stack, incidentId, (r) => votesIn(r, approvalId).length >= 1);
    expect(votesIn(records, approvalId).map((r) => r.actor.id)).toEqual(['omar']);
    // Each refused reuse is audited as a refused decision with its code.
    const refused = await eventually(async () => {
      const all = (await auditRecords(stack, incidentId)).filter((r) => r.eventType === 'approval.refused');
      return all.length > 0 ? all : undefined;
    }, 'the audited refusal');
    expect(refused[0]?.details).toMatchObject({ refusal: 'idempotency_key_reused' });

    // Keys are per operator: grace may use the same key for her own decision.
    expect(await decideWithKey(approvalId, 'grace', 'key-1', body)).toEqual({
      status: 200,
      body: { approvalId, status: 'approved', approvalsRemaining: 0 },
    });
    const done = await auditOf(stack, incidentId, (r) => r.some((x) => x.eventType === 'playbook.completed'));
    expect(votesIn(done, approvalId).map((r) => r.actor.id)).toEqual(['omar', 'grace']);
    expect(
      stack.fortigate
        .callsTo('/api/v2/monitor/user/banned/add_users')
        .filter((c) => JSON.stringify(c.body).includes('10.20.1.7')),
    ).toHaveLength(1);

    // Once the run has ended, a decision is answered from the read model's outcome.
    expect(await decide(stack, approvalId, 'victor', 'approve')).toMatchObject({
      status: 409,
      body: { error: { code: 'approval_already_decided' } },
    });
  });
});

describe('GET /approvals paging', () => {
  it('pages with limit and an opaque cursor, in list order, without gaps or repeats', async () => {
    // Three more approval requests (five or more in all with those above).
    for (const n of [1, 2, 3]) await approvalFor(`ews-page-${n}`, `10.10.8.${n}`);
    const all = (await list('')).approvals.map((a) => a.id);
    expect(all.length).toBeGreaterThanOrEqual(5);

    const pages: string[][] = [];
    let page = await list('?limit=2');
    pages.push(page.approvals.map((a) => a.id));
    while (page.nextCursor !== undefined) {
      expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      page = await list(`?limit=2&cursor=${page.nextCursor}`);
      pages.push(page.approvals.map((a) => a.id));
    }
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect(pages.length).toBe(Math.ceil(all.length / 2));

    // Filters hold across pages.
    const pending = (await list('?status=pending')).approvals.map((a) => a.id);
    expect(pending.length).toBe(3);
    const first = await list('?status=pending&limit=2');
    const second = await list(`?status=pending&limit=2&cursor=${first.nextCursor ?? ''}`);
    expect([...first.approvals, ...second.approvals].map((a) => a.id)).toEqual(pending);
    expect(second.nextCursor).toBeUndefined();
    expect((await list('?limit=500')).nextCursor).toBeUndefined();
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=1.5', 'limit'],
    ['?limit=1&limit=2', 'limit'],
    ['?cursor=not%20a%20cursor', 'cursor'],
    [`?cursor=${Buffer.from('["yesterday","apr-x"]').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from('{').toString('base64url')}`, 'cursor'],
    ['?status=open', 'status'],
    ['?page=2', '(root)'],
  ])('refuses %s with a 400 naming %s', async (query, path) => {
    const response = await stack.api(`/approvals${query}`, { operator: 'alice' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(error.code).toBe('invalid_request');
    expect(error.issues.map((i) => i.path)).toContain(path);
  });
});

describe('a decision is written only once Temporal has recorded it', () => {
  it("records the votes and the request's closing by activities the run schedules, never before the server recorded the decision", async () => {
    // Local activities would write them while the workflow task that accepted the decision runs:
    // if that task then fails (its worker killed, or over its timeout), the approval reads as
    // approved while the run never recorded the decision and the action never runs. The deciding
    // vote and the closing are one activity (patch approval-outcome-written-together).
    const { incidentId, approvalId, requiredApprovals } = await approvalFor('eng-ws-09', '10.10.4.29');
    const approvers = (['omar', 'grace'] as const).slice(0, requiredApprovals);
    for (const operator of approvers) expect((await decide(stack, approvalId, operator, 'approve')).status).toBe(200);
    const records = await auditOf(stack, incidentId, (r) => r.some((x) => x.eventType === 'playbook.completed'));
    // The trail's order: each vote, then the action's record (the closing writes none when approved).
    const trail = records.filter((r) => r.approval?.approvalId === approvalId || r.eventType === 'action.executed');
    expect(trail.map((r) => [r.eventType, r.eventType === 'approval.decided' ? r.actor.id : undefined])).toEqual([
      ['approval.requested', undefined],
      ...approvers.map((operator) => ['approval.decided', operator]),
      ['action.executed', undefined],
    ]);
    const [approval] = (await list(`?incidentId=${incidentId}`)).approvals as (ListedApproval & {
      workflowId: string;
    })[];
    expect(approval).toMatchObject({ status: 'approved' });

    const { temporal } = parseYaml(readFileSync(stack.configPath, 'utf8')) as {
      temporal: { address: string; namespace: string };
    };
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection, namespace: temporal.namespace });
      const history = await client.workflow.getHandle(approval?.workflowId ?? '').fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.flatMap((e) => {
        const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return type === 'recordApprovalVote' || type === 'closeApproval' || type === 'recordApprovalOutcome'
          ? [{ type, task: Number(e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId) }]
          : [];
      });
      expect(scheduled.map((s) => s.type)).toEqual([
        ...approvers.slice(1).map(() => 'recordApprovalVote'),
        'recordApprovalOutcome',
      ]);
      // Each vote is scheduled by the task that accepted it: the decision and its write are recorded together.
      // The last, the deciding vote, with the closing: the action's activity follows its completion.
      const accepted = events.flatMap((e) =>
        e.workflowExecutionUpdateAcceptedEventAttributes ? [Number(e.eventId)] : [],
      );
      expect(accepted).toHaveLength(approvers.length);
      const taskOf = (eventId: number) =>
        Math.max(
          ...events
            .filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < eventId)
            .map((e) => Number(e.eventId)),
        );
      expect(scheduled.map((s) => s.task)).toEqual(accepted.map(taskOf));
      const scheduledAt = (type: string) =>
        events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
      const outcomeDone = events.findIndex(
        (e) =>
          e.activityTaskCompletedEventAttributes !== undefined &&
          e.activityTaskCompletedEventAttributes !== null &&
          String(e.activityTaskCompletedEventAttributes.scheduledEventId) ===
            String(events[scheduledAt('recordApprovalOutcome')]?.eventId),
      );
      expect(outcomeDone).toBeGreaterThan(0);
      expect(scheduledAt('executeAction')).toBeGreaterThan(outcomeDone);

      // The run replays on the code that wrote it (as after its eviction from the worker's cache).
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath: join(REPO_ROOT, 'dist', 'workflow-bundle.js') },
          replayName: 'approvals-api-replay',
          dataConverter: {
            payloadCodecs: [
              new AesGcmPayloadCodec(
                [{ id: ENCRYPTION_KEY.id, key: Buffer.from(ENCRYPTION_KEY.key, 'base64') }],
                ENCRYPTION_KEY.id,
              ),
            ],
          },
        },
        history,
      );
    } finally {
      await connection.close();
    }
  });
});

describe('OpenAPI', () => {
  it('describes the paging parameters and every decision refusal the code gives', async () => {
    const response = await fetch(`${stack.apiUrl}/docs-json`);
    expect(response.status).toBe(200);
    type Op = { parameters?: { name: string; in: string }[]; responses: Record<string, { description: string }> };
    const { paths } = (await response.json()) as { paths: Record<string, Record<string, Op>> };
    const listing = paths['/approvals']?.['get'];
    expect(listing?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      ['query:cursor', 'query:incidentId', 'query:limit', 'query:status'].sort(),
    );
    expect(JSON.stringify(listing?.responses['200'])).toContain('nextCursor');
    const decision = paths['/approvals/{id}/decision']?.['post'];
    expect(decision?.parameters?.map((p) => `${p.in}:${p.name}`)).toContain('header:Idempotency-Key');
    const codes: Record<string, string[]> = {
      '403': ['approver_not_authorized', 'self_approval'],
      '404': ['approval_not_found'],
      '409': ['duplicate_approver', 'approval_already_decided', 'action_changed'],
      '410': ['approval_expired', 'approval_closed'],
      '422': ['break_glass_refused', 'idempotency_key_reused'],
    };
    for (const [status, expected] of Object.entries(codes)) {
      for (const code of expected) expect(decision?.responses[status]?.description).toContain(`\`${code}\``);
    }
  });
});
