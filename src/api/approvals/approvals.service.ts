import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { ApprovalRow, ApprovalStore } from '../../audit/approval-store';
import type { AuditStore } from '../../audit/audit-store';
import type { Logger } from '../../logging';
import {
  APPROVAL_REFUSALS,
  decideApprovalUpdate,
  type ApprovalChannel,
  type ApprovalDecisionResult,
  type ApprovalRefusal,
} from '../../workflows/definitions';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  reason?: string | undefined;
  actionDigest?: string | undefined;
  breakGlass?: boolean | undefined;
  justification?: string | undefined;
}

/**
 * Sends an operator's decision to the workflow that waits for it, as a Temporal Update.
 * The workflow's validator is the authority; this maps its refusals to HTTP statuses.
 * Slack and the API both come through here.
 */
export class ApprovalsService {
  constructor(
    private readonly approvals: ApprovalStore,
    private readonly temporal: Client,
    private readonly log: Logger,
    /** Where refused API and CLI decisions are audited (Slack audits its own, with the Slack user). */
    private readonly audit?: AuditStore,
  ) {}

  list(filter: { status?: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled'; incidentId?: string }) {
    return this.approvals.list(filter);
  }

  async decide(
    approvalId: string,
    operator: AuthenticatedOperator,
    request: DecisionRequest,
    channel: ApprovalChannel,
    updateId: string = randomUUID(),
  ): Promise<ApprovalDecisionResult> {
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

  private async deliver(
    approvalId: string,
    approval: ApprovalRow | undefined,
    operator: AuthenticatedOperator,
    request: DecisionRequest,
    channel: ApprovalChannel,
    updateId: string,
  ): Promise<ApprovalDecisionResult> {
    if (approval === undefined) throw new ApiError(404, 'approval_not_found', `no approval ${approvalId}`);
    if (approval.status !== 'pending')
      throw new ApiError(409, 'approval_already_decided', `approval ${approvalId} is already ${approval.status}`);
    try {
      const result = await this.temporal.workflow.getHandle(approval.workflowId).executeUpdate(decideApprovalUpdate, {
        args: [
          {
            approvalId,
            operator: { id: operator.id, roles: operator.roles },
            decision: request.decision,
            ...(request.reason === undefined ? {} : { reason: request.reason }),
            channel,
            ...(request.actionDigest === undefined ? {} : { actionDigest: request.actionDigest }),
            ...(request.breakGlass === true ? { breakGlass: { justification: request.justification ?? '' } } : {}),
          },
        ],
        updateId,
      });
      this.log.info(
        { approvalId, operator: operator.id, decision: request.decision, channel, status: result.status },
        'approval decision accepted',
      );
      return result;
    } catch (error) {
      throw this.toApiError(approvalId, error);
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
    if (this.audit === undefined) return;
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

  private toApiError(approvalId: string, error: unknown): ApiError {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const type = (error.cause.type ?? '') as ApprovalRefusal;
      if (Object.hasOwn(APPROVAL_REFUSALS, type)) {
        return new ApiError(APPROVAL_REFUSALS[type], toSnake(type), error.cause.message);
      }
    }
    if (error instanceof WorkflowNotFoundError) {
      return new ApiError(410, 'approval_closed', `the run waiting for approval ${approvalId} has ended`);
    }
    this.log.error({ err: error, approvalId }, 'approval update failed');
    return new ApiError(503, 'unavailable', 'the decision could not be delivered; retry later', undefined, {
      'Retry-After': '5',
    });
  }
}

function toSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
