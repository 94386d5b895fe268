/**
 * Case work on an incident against the real stack (issue 17): status, assignee, tags and
 * comments, each audited in the chain with the operator as actor; the same change twice
 * records once; two operators at once both land; time to acknowledge and to contain.
 */
import type { AuditRecord } from '../../src/audit/types';
import { acceptedIncident, auditOf, auditRecords } from '../support/e2e';
import { API_KEYS, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface CaseView {
  status: string;
  assignee: string | null;
  tags: string[];
  comments: { seq: number; time: string; author: string; text: string }[];
  timeToAcknowledgeMs: number | null;
  acknowledgedBy: string | null;
  timeToContainMs: number | null;
}

async function call(method: string, path: string, operator: keyof typeof API_KEYS, body?: unknown) {
  const response = await stack.api(path, { method, operator, ...(body === undefined ? {} : { body }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { case?: CaseView } };
}

const patchCase = (incidentId: string, body: unknown, operator: keyof typeof API_KEYS = 'alice') =>
  call('PATCH', `/incidents/${incidentId}/case`, operator, body);

async function caseOf(incidentId: string): Promise<CaseView> {
  const { status, body } = await call('GET', `/incidents/${incidentId}`, 'alice');
  expect(status).toBe(200);
  return body['case'] as CaseView;
}

const ofType = (records: AuditRecord[], type: string) => records.filter((r) => r.eventType === type);

/** An IT laptop's address quarantined automatically (rule 2): a containment with no human in it. */
async function containedIncident(n: number): Promise<string> {
  const incidentId = await acceptedIncident(stack, {
    id: `case-work-${n}`,
    title: `Ransomware behaviour on fin-lt-042 (${n})`,
    severity: 'critical',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: 'fin-lt-042', ip: '10.30.5.42' }],
  });
  await auditOf(stack, incidentId, (records) => ofType(records, 'action.executed').length > 0);
  return incidentId;
}

describe('case work', () => {
  let incidentId: string;

  beforeAll(async () => {
    incidentId = await containedIncident(1);
  }, 60_000);

  it('starts new; the automatic containment is measured, never sets the status, and is no acknowledgement', async () => {
    const view = await caseOf(incidentId);
    expect(view).toMatchObject({ status: 'new', assignee: null, tags: [], comments: [], timeToAcknowledgeMs: null });
    expect(view.timeToContainMs).toEqual(expect.any(Number));
  });

  it('changes status, assignee and tags, audited as the operator; the same change again records nothing', async () => {
    const change = { status: 'triage', assignee: 'omar', tags: { add: ['Ransomware', 'it'] } };
    const first = await patchCase(incidentId, change);
    expect(first).toMatchObject({
      status: 200,
      body: { incidentId, changed: true, case: { status: 'triage', assignee: 'omar', tags: ['it', 'ransomware'] } },
    });
    expect(first.body.case?.timeToAcknowledgeMs).toEqual(expect.any(Number));
    expect(first.body.case?.acknowledgedBy).toBe('alice');
    const again = await patchCase(incidentId, change);
    expect(again).toMatchObject({ status: 200, body: { changed: false, case: { status: 'triage' } } });

    const updates = ofType(await auditRecords(stack, incidentId), 'case.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      actor: { type: 'operator', id: 'alice', channel: 'api' },
      details: {
        changes: {
          status: { from: 'new', to: 'triage' },
          assignee: { from: null, to: 'omar' },
          tags: { added: ['it', 'ransomware'], removed: [] },
        },
      },
    });
  });

  it('refuses an unknown operator with the field path, an empty change, and illegal status moves', async () => {
    const unknown = await patchCase(incidentId, { assignee: 'mallory' });
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', issues: [{ path: 'assignee', message: 'no operator mallory' }] } },
    });
    expect((await patchCase(incidentId, {})).status).toBe(400);
    expect((await patchCase(incidentId, { status: 'done' })).body).toMatchObject({
      error: { issues: [{ path: 'status' }] },
    });
    expect((await patchCase(incidentId, { tags: { add: ['<b>'] } })).body).toMatchObject({
      error: { issues: [{ path: 'tags.add.0' }] },
    });
    expect(await patchCase(incidentId, { status: 'new' })).toMatchObject({
      status: 409,
      body: { error: { code: 'case_change_refused' } },
    });
  });

  it('applies two operators’ changes made at the same moment, neither lost', async () => {
    const [a, b] = await Promise.all([
      patchCase(incidentId, { tags: { add: ['lateral-movement'] } }, 'alice'),
      patchCase(incidentId, { assignee: 'grace', status: 'contained' }, 'grace'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const view = await caseOf(incidentId);
    expect(view).toMatchObject({
      status: 'contained',
      assignee: 'grace',
      tags: ['it', 'lateral-movement', 'ransomware'],
    });
  });

  it('records a comment once per Idempotency-Key, verbatim (untrusted text), and refuses control characters', async () => {
    const text = 'Called the plant: <script>alert(1)</script> *not* a drill\nline two';
    const post = (key: string, body: unknown) =>
      fetch(`${stack.apiUrl}/incidents/${incidentId}/comments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEYS.omar}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const first = await post('c-1', { text });
    expect(first).toMatchObject({ status: 201, body: { comment: { author: 'omar', text } } });
    expect((await post('c-1', { text })).status).toBe(201);
    expect(await post('c-1', { text: 'another text' })).toMatchObject({
      status: 422,
      body: { error: { code: 'idempotency_key_reused' } },
    });
    // NUL and lone surrogates are repaired by the API's JSON parser (U+FFFD); other controls are refused.
    expect(await post('c-2', { text: 'bell \u0007 here' })).toMatchObject({
      status: 400,
      body: { error: { issues: [{ path: 'text' }] } },
    });
    expect((await post('c-3', { text: 'x'.repeat(4001) })).status).toBe(400);
    expect((await post('c-4', { text: '   ' })).status).toBe(400);

    const records = await auditRecords(stack, incidentId);
    expect(ofType(records, 'case.commented')).toHaveLength(1);
    expect(ofType(records, 'case.commented')[0]).toMatchObject({
      actor: { type: 'operator', id: 'omar', channel: 'api' },
      details: { text },
    });
    const view = await caseOf(incidentId);
    expect(view.comments).toEqual([{ seq: expect.any(Number), time: expect.any(String), author: 'omar', text }]);
  });

  it('reopens a closed case to triage only', async () => {
    expect((await patchCase(incidentId, { status: 'closed' })).status).toBe(200);
    expect(await patchCase(incidentId, { status: 'recovering' })).toMatchObject({
      status: 409,
      body: { error: { code: 'case_change_refused', issues: [{ path: 'status' }] } },
    });
    expect(await patchCase(incidentId, { status: 'triage' })).toMatchObject({ status: 200, body: { changed: true } });
  });

  it('lists the case status and assignee, and filters on them', async () => {
    const list = async (query: string) => {
      const { status, body } = await call('GET', `/incidents?${query}`, 'alice');
      expect(status).toBe(200);
      return (body['incidents'] as { incidentId: string; caseStatus: string; assignee: string | null }[]).map(
        (i) => i.incidentId,
      );
    };
    const other = await acceptedIncident(stack, {
      id: 'case-work-other',
      title: 'Port scan from a corp laptop',
      severity: 'low',
      rule: { id: 'case-work-no-playbook' },
      hosts: [{ name: 'fin-lt-777', ip: '10.30.7.77' }],
    });
    await auditOf(stack, other, (records) => ofType(records, 'alert.received').length > 0);
    expect(await list('caseStatus=triage&assignee=grace')).toContain(incidentId);
    expect(await list('caseStatus=triage&assignee=grace')).not.toContain(other);
    expect(await list('caseStatus=new')).toContain(other);
    expect(await list('caseStatus=new')).not.toContain(incidentId);
    const { body } = await call('GET', `/incidents?assignee=grace`, 'alice');
    expect(body['incidents']).toEqual(
      expect.arrayContaining([expect.objectContaining({ incidentId, caseStatus: 'triage', assignee: 'grace' })]),
    );
    expect((await call('GET', '/incidents?caseStatus=open', 'alice')).status).toBe(400);
  });

  it('keeps the chain verifiable, and answers 404 for an unknown incident', async () => {
    expect((await call('GET', `/audit/verify?incidentId=${incidentId}`, 'alice')).body).toMatchObject({ ok: true });
    const missing = 'inc-' + '0'.repeat(24);
    expect((await patchCase(missing, { status: 'triage' })).status).toBe(404);
    expect((await call('POST', `/incidents/${missing}/comments`, 'alice', { text: 'hi' })).status).toBe(404);
  });
});
