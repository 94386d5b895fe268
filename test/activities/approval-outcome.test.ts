/**
 * recordApprovalOutcome (src/activities/approval-activities.ts) writes a decided approval's
 * votes and its closing in one activity (patch approval-outcome-written-together in
 * src/workflows/approval-gate.ts): the same writes, with the same idempotency keys and in the
 * same order, as recordApprovalVote for each vote and then closeApproval.
 */
import { createApprovalActivities } from '../../src/activities/approval-activities';
import type { ActivityDeps, AuditWriter } from '../../src/activities/activity-support';
import type { ApprovalVote } from '../../src/approvals/messages';
import type { AuditEventInput, AuditRecord } from '../../src/audit/types';
import type { ApprovalClosing, ApprovalVoteRecord } from '../../src/engine/contracts';
import type { PolicyDecision } from '../../src/policy/types';

/** Every write of the activities, in the order they were started: audit records and read-model calls. */
type Write =
  { audit: AuditEventInput } | { recordVote: [string, unknown] } | { markDecided: [string, string, unknown[], string] };

function harness({ votesFail = false } = {}) {
  const writes: Write[] = [];
  const approvals = {
    recordVote: async (id: string, vote: unknown) => {
      if (votesFail) throw new Error('database down');
      writes.push({ recordVote: [id, vote] });
      return {};
    },
    markDecided: async (id: string, status: string, decisions: unknown[], decidedAt: string) => {
      writes.push({ markDecided: [id, status, decisions, decidedAt] });
      return {};
    },
  };
  const appendAudit = async (event: AuditEventInput) => {
    writes.push({ audit: event });
    return event as unknown as AuditRecord;
  };
  const writer: AuditWriter = {
    appendAudit,
    appendAudits: async (events) => Promise.all(events.map(appendAudit)),
  };
  const deps = { config: { zones: [{ id: 'line1-cell' }] }, approvals } as unknown as ActivityDeps;
  return { activities: createApprovalActivities(deps, writer), writes };
}

const decision = {
  outcome: 'approve',
  rule: 'rule-3-ot-approval',
  reason: 'OT target',
  action: { type: 'firewall.quarantine_ip', target: '10.20.0.7', params: {} },
  target: { ref: '10.20.0.7', known: true, zone: 'line1-cell', purdueLevel: 2, ips: ['10.20.0.7'] },
  actionDigest: 'd'.repeat(64),
  enforcementPoint: 'fortigate:root',
  approval: { approvals: 2, roles: ['ot-engineer'], ttlMs: 3_600_000, escalateAfterMs: 0 },
} as unknown as PolicyDecision;
const context = {
  incidentId: 'inc-1',
  workflowId: 'run-wf-1',
  runId: 'run-1',
  playbookId: 'test-quarantine',
  playbookVersion: 1,
  stepId: 'quarantine',
};
const vote = (operatorId: string, overrides: Partial<ApprovalVote> = {}): ApprovalVote => ({
  operatorId,
  roles: ['ot-engineer'],
  decision: 'approve',
  reason: `${operatorId} checked it`,
  channel: 'api',
  at: `2026-12-02T09:0${operatorId.length}:00.000Z`,
  ...overrides,
});

const cases: [string, ApprovalVote[], ApprovalClosing['status']][] = [
  ['two approvals', [vote('omar'), vote('grace', { channel: 'slack' })], 'approved'],
  ['an approval, then a rejection', [vote('omar'), vote('grace', { decision: 'reject' })], 'rejected'],
  ['a break-glass approval', [vote('victor', { breakGlass: { justification: 'line down' } })], 'approved'],
];

describe('recordApprovalOutcome', () => {
  beforeEach(() => {
    // The closing's decidedAt is the activity's clock.
    jest.useFakeTimers({ now: new Date('2026-12-02T09:10:00.000Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it.each(cases)(
    'writes what recordApprovalVote for each vote and then closeApproval write, in that order (%s)',
    async (_, votes, status) => {
      const records: ApprovalVoteRecord[] = votes.map((v, i) => ({
        approvalId: 'apr-1',
        vote: v,
        voteIndex: i + 1,
        decision,
        context,
      }));
      const closing: ApprovalClosing = { approvalId: 'apr-1', status, votes, decision, context };

      const separately = harness();
      for (const record of records) await separately.activities.recordApprovalVote(record);
      await separately.activities.closeApproval(closing);

      const together = harness();
      await together.activities.recordApprovalOutcome({ votes: records, closing });

      expect(together.writes).toEqual(separately.writes);
      // Each vote's record (and its read-model row), then the closing: the audit order of the trail.
      const audited = together.writes.flatMap((w) => ('audit' in w ? [w.audit] : []));
      expect(audited.map((r) => [r.eventType, r.idempotencyKey, r.actor.id])).toEqual(
        votes.map((v, i) => ['approval.decided', `apr-1:vote:${i + 1}`, v.operatorId]),
      );
      const kinds = together.writes.map((w) => Object.keys(w)[0]);
      expect(kinds).toEqual([...votes.flatMap(() => ['recordVote', 'audit']), 'markDecided']);
      expect(together.writes.at(-1)).toEqual({
        markDecided: ['apr-1', status, votes, '2026-12-02T09:10:00.000Z'],
      });
    },
  );

  it('writes no closing when a vote could not be written (the activity is retried: every write is idempotent)', async () => {
    const { activities, writes } = harness({ votesFail: true });
    const votes = [vote('omar')];
    await expect(
      activities.recordApprovalOutcome({
        votes: [{ approvalId: 'apr-2', vote: votes[0] as ApprovalVote, voteIndex: 1, decision, context }],
        closing: { approvalId: 'apr-2', status: 'approved', votes, decision, context },
      }),
    ).rejects.toThrow('database down');
    expect(writes.map((w) => Object.keys(w)[0])).toEqual(['audit']);
  });
});
