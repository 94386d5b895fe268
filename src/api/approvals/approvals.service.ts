import { Inject, Injectable } from '@nestjs/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import type {
  ApprovalListFilter,
  ApprovalPage,
  ApprovalPosition,
  ApprovalRow,
  ApprovalStore,
} from '../../approvals/approval-store';
import type { AuditStore } from '../../audit/audit-store';
import type { Logger } from '../../logging';
import { describeAction, type ActionDescription } from '../../policy/describe-action';
import {
  APPROVAL_REFUSALS,
  decideApprovalUpdate,
  type ApprovalChannel,
  type ApprovalDecisionResult,
  type ApprovalRefusal,
  type ApprovalVote,
} from '../../workflows/definitions';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';
import { LOGGER, SERVICES, TEMPORAL_CLIENT } from '../tokens';
import type { Services } from '../../runtime/services';

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  reason?: string | undefined;
  actionDigest?: string | undefined;
  breakGlass?: boolean | undefined;
  justification?: string | undefined;
}

/** An approval with its action in words (`description`), as GET /approvals and the console show it. */
export type DescribedApproval = ApprovalRow & { description: ActionDescription };

/** What a decision answers (200): the workflow's result without its internal fields. */
export type DecisionAnswer = Pick<ApprovalDecisionResult, 'approvalId' | 'status' | 'approvalsRemaining'>;

/**
 * Sends an operator's decision to the workflow that waits for it, as a Temporal Update.
 * The workflow's validator is the authority; this maps its refusals to HTTP statuses.
 * Slack and the API both come through here.
 */
@Injectable()
export class ApprovalsService {
  private readonly approvals: ApprovalStore;
  /** Where refused API and CLI decisions are audited (Slack audits its own, with the Slack user). */
  private readonly audit: AuditStore;

  constructor(
    @Inject(SERVICES) services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.approvals = services.approvals;
    this.audit = services.audit;
  }

  /**
   * A page of approvals, each with its action in words (`description`): one indexed query, the
   * enforcement point the words need is on each row.
   */
  async list(
    filter: ApprovalListFilter,
    limit: number,
    after?: ApprovalPosition,
  ): Promise<Omit<ApprovalPage, 'approvals'> & { approvals: DescribedApproval[] }> {
    const page = await this.approvals.page(filter, limit, after);
    return { ...page, approvals: page.approvals.map(described) };
  }

  /** One approval with its action in words, as `list` gives it; undefined when there is none. */
  async one(approvalId: string): Promise<DescribedApproval | undefined> {
    const row = await this.approvals.get(approvalId);
    return row === undefined ? undefined : described(row);
  }

  async decide(
    approvalId: string,
    operator: AuthenticatedOperator,
    request: DecisionRequest,
    channel: ApprovalChannel,
    updateId: string = randomUUID(),
  ): Promise<DecisionAnswer> {
    const approval = await this.approvals.get(approvalId);
    try {
      return await this.deliver(approvalId, approval, operator, request, channel, updateId);
    } catch (error) {
      if (channel !== 'slack' && error instanceof ApiError && error.getStatus() < 500) {
        await this.auditRefusal(approvalId, approval, operator, request, channel, updateId, error);
      }
      throw error;
    }
  }

  /*
   * Every decision goes to the workflow, even when the read model says the approval is
   * closed: while the run lives, its validator refuses with the exact reason, and a retry
   * under the same Update ID gets the first request's result. The read model decides only
   * once the run has ended.
   */
  private async deliver(
    approvalId: string,
    approval: ApprovalRow | undefined,
    operator: AuthenticatedOperator,
    request: DecisionRequest,
    channel: ApprovalChannel,
    updateId: string,
  ): Promise<DecisionAnswer> {
    if (approval === undefined) throw new ApiError(404, 'approval_not_found', `no approval ${approvalId}`);
    const requestDigest = digestOf(request);
    let result: ApprovalDecisionResult;
    try {
      result = await this.temporal.workflow.getHandle(approval.workflowId).executeUpdate(decideApprovalUpdate, {
        args: [
          {
            approvalId,
            operator: { id: operator.id, roles: operator.roles },
            decision: request.decision,
            ...(request.reason === undefined ? {} : { reason: request.reason }),
            channel,
            ...(request.actionDigest === undefined ? {} : { actionDigest: request.actionDigest }),
            ...(request.breakGlass === true ? { breakGlass: { justification: request.justification ?? '' } } : {}),
            requestDigest,
          },
        ],
        updateId,
      });
    } catch (error) {
      throw await this.toApiError(approvalId, approval, error);
    }
    // Temporal answered with an earlier Update's result: a retry, unless its request differed.
    if (result.requestDigest !== undefined && result.requestDigest !== requestDigest) {
      throw new ApiError(
        422,
        'idempotency_key_reused',
        `this Idempotency-Key was already used for a different decision on ${approvalId}; use a new key`,
      );
    }
    this.log.info(
      { approvalId, operator: operator.id, decision: request.decision, channel, status: result.status },
      'approval decision accepted',
    );
    if (result.vote !== undefined) await this.showVote(approvalId, result.vote);
    return { approvalId: result.approvalId, status: result.status, approvalsRemaining: result.approvalsRemaining };
  }

  /**
   * Puts the accepted vote in the read model before answering, so GET /approvals already shows
   * it. Best effort: the vote is accepted either way, and the workflow's vote activity records
   * it too.
   */
  private async showVote(approvalId: string, vote: ApprovalVote): Promise<void> {
    try {
      await this.approvals.recordVote(approvalId, { ...vote });
    } catch (error) {
      this.log.error({ err: error, approvalId }, 'could not show an accepted vote in the approvals read model');
    }
  }

  /**
   * A refused decision is audited as Slack's are: who, through which channel, and the refusal
   * code. Best effort: the operator gets the refusal even when the audit store is down.
   */
  private async auditRefusal(
    approvalId: string,
    approval: ApprovalRow | undefined,
    operator: AuthenticatedOperator,
    request: DecisionRequest,
    channel: ApprovalChannel,
    updateId: string,
    refusal: ApiError,
  ): Promise<void> {
    const body = refusal.getResponse() as { error?: { message?: string } };
    try {
      await this.audit.append({
        idempotencyKey: `${channel}:refused:${updateId}`,
        time: new Date().toISOString(),
        incidentId: approval?.incidentId ?? 'unattributed',
        ...(approval === undefined
          ? {}
          : { workflowId: approval.workflowId, playbookId: approval.playbookId, stepId: approval.stepId }),
        actor: { type: 'operator', id: operator.id, roles: operator.roles, channel },
        eventType: 'approval.refused',
        ...(approval === undefined ? {} : { approval: { approvalId, actionDigest: approval.actionDigest } }),
        result: { status: 'refused', detail: `${refusal.code}: ${body.error?.message ?? refusal.message}` },
        details: {
          decision: request.decision,
          approvalId,
          refusal: refusal.code,
          ...(request.breakGlass === true ? { breakGlass: true } : {}),
        },
      });
    } catch (error) {
      this.log.error({ err: error, approvalId, operator: operator.id }, 'could not audit a refused approval decision');
    }
  }

  private async toApiError(approvalId: string, approval: ApprovalRow, error: unknown): Promise<ApiError> {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const type = (error.cause.type ?? '') as ApprovalRefusal;
      if (Object.hasOwn(APPROVAL_REFUSALS, type)) {
        return new ApiError(APPROVAL_REFUSALS[type], toSnake(type), error.cause.message);
      }
    }
    if (error instanceof WorkflowNotFoundError) {
      // The run has ended: the read model, re-read now, has the outcome it recorded.
      const latest = (await this.approvals.get(approvalId).catch(() => undefined)) ?? approval;
      return closedError(latest);
    }
    this.log.error({ err: error, approvalId }, 'approval update failed');
    return new ApiError(503, 'unavailable', 'the decision could not be delivered; retry later', undefined, {
      'Retry-After': '5',
    });
  }
}

function described(row: ApprovalRow): DescribedApproval {
  return {
    ...row,
    description: describeAction({ action: row.action, target: row.target, enforcementPoint: row.enforcementPoint }),
  };
}

/** The refusal for a decision that reaches no running workflow, from the read model's status. */
function closedError(approval: ApprovalRow): ApiError {
  switch (approval.status) {
    case 'expired':
      return new ApiError(410, 'approval_expired', `approval ${approval.id} expired at ${approval.expiresAt}`);
    case 'approved':
    case 'rejected':
      return new ApiError(409, 'approval_already_decided', `approval ${approval.id} is already ${approval.status}`);
    default:
      // Cancelled, or the run ended (terminated, failed) before recording any outcome.
      return new ApiError(
        410,
        'approval_closed',
        `approval ${approval.id} is closed without an outcome: the run waiting for it has ended`,
      );
  }
}

/** What identifies a decision request, for telling a retry from a reused Idempotency-Key. */
function digestOf(request: DecisionRequest): string {
  const fields = [
    request.decision,
    request.reason ?? null,
    request.actionDigest ?? null,
    request.breakGlass ?? null,
    request.justification ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

function toSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
