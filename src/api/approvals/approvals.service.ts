import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { ApprovalStore } from '../../audit/approval-store';
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
