/**
 * The decision Update's validator: each refusal carries the type the API maps to its status.
 * Runs outside the sandbox: validateApproval is a pure function of the run's view and the request.
 */
import { ApplicationFailure } from '@temporalio/common';
import { validateApproval } from '../../src/approvals/validate-approval';
import type { ApprovalDecisionInput, PendingApprovalView } from '../../src/approvals/messages';

const HOUR = 3_600_000;

function view(overrides: Partial<PendingApprovalView> = {}): PendingApprovalView {
  return {
    approvalId: 'apr-1',
    stepId: 'block-conduit',
    actionDigest: 'a'.repeat(64),
    requiredApprovals: 2,
    requiredRoles: ['ot-engineer'],
    expiresAt: new Date(Date.now() + HOUR).toISOString(),
    status: 'pending',
    votes: [],
    rule: 'rule-7-dual-approval',
    ...overrides,
  };
}

const omar: ApprovalDecisionInput = {
  approvalId: 'apr-1',
  operator: { id: 'omar', roles: ['ot-engineer'] },
  decision: 'approve',
  channel: 'api',
};

function refusal(approval: PendingApprovalView | undefined, decision = omar): string | undefined {
  try {
    validateApproval(approval, decision);
    return undefined;
  } catch (error) {
    return error instanceof ApplicationFailure ? (error.type ?? 'untyped') : String(error);
  }
}

it('accepts an authorized first vote on a pending approval', () => {
  expect(refusal(view())).toBeUndefined();
});

it('refuses a closed approval as expired when it expired, else as already decided', () => {
  // The run marks a lapsed approval expired before closing it: a late decision is told so (410).
  expect(refusal(view({ status: 'expired', expiresAt: new Date(Date.now() - 1000).toISOString() }))).toBe(
    'ApprovalExpired',
  );
  expect(refusal(view({ status: 'pending', expiresAt: new Date(Date.now() - 1000).toISOString() }))).toBe(
    'ApprovalExpired',
  );
  expect(refusal(view({ status: 'approved' }))).toBe('ApprovalAlreadyDecided');
  expect(refusal(view({ status: 'rejected' }))).toBe('ApprovalAlreadyDecided');
  expect(refusal(undefined)).toBe('ApprovalNotFound');
});
