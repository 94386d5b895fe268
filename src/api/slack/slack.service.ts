import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { ApprovalStore } from '../../approvals/approval-store';
import type { AuditStore } from '../../audit/audit-store';
import type { AuditEventInput } from '../../audit/types';
import type { InterlockConfig } from '../../config/schema';
import { parseUntrustedJson } from '../../intake/untrusted-text';
import type { Logger } from '../../logging';
import type { Services } from '../../runtime/services';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../notifications/slack-messages';
import { SlackClient } from '../../../integrations/slack';
import { ApprovalsService } from '../approvals/approvals.service';
import { ApiError, issuesFromZod } from '../common/api-error';
import { CONFIG, LOGGER, SERVICES } from '../tokens';

/** The part of Slack's `block_actions` payload Interlock reads; Slack sends many more fields. */
const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().min(1).max(64) }),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string().min(1).max(255),
        value: z.string().max(2000).optional(),
        action_ts: z.string().regex(/^\d+(\.\d+)?$/, 'expected a Slack timestamp'),
      }),
    )
    .min(1)
    .max(25),
  channel: z.looseObject({ id: z.string().min(1) }).optional(),
  container: z.looseObject({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
});
type BlockActions = z.infer<typeof blockActionsSchema>;

const approvalIdSchema = z.string().regex(/^apr-[0-9a-f-]{36}$/);

const DECISIONS: Record<string, 'approve' | 'reject'> = {
  [APPROVE_ACTION_ID]: 'approve',
  [REJECT_ACTION_ID]: 'reject',
};

/** Slack waits 3 s for our answer; decisions still running after this finish in the background. */
const ANSWER_WITHIN_MS = 2_500;

const REFUSAL_HINTS: Record<string, string> = {
  approver_not_authorized: 'you are not authorized to decide this action',
  self_approval: 'the requester cannot approve its own request',
  duplicate_approver: 'you have already decided on this approval; another operator must give the next one',
  approval_expired: 'this approval has expired: nothing was done',
  approval_already_decided: 'this approval is already decided',
  approval_closed: 'this approval is already closed',
  approval_not_found: 'this approval does not exist',
  action_changed: 'the action changed since it was shown',
  unavailable: 'Interlock could not deliver your decision right now; try again or use the API',
};

function refusalOf(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) {
    const body = error.getResponse() as { error?: { message?: string } };
    return { code: error.code, message: body.error?.message ?? error.message };
  }
  return { code: 'unavailable', message: error instanceof Error ? error.message : String(error) };
}

/**
 * `POST /slack/interactions`, once SlackSignatureGuard has verified the signature and refused
 * replays: maps the Slack user to an operator and sends the click as the same approval Update
 * the API uses (same validator, same audit). A refused decision is audited and explained to the
 * clicker only.
 */
@Injectable()
export class SlackService {
  private readonly slack: SlackClient | undefined;
  private readonly approvals: ApprovalStore;
  private readonly audit: AuditStore;

  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(ApprovalsService) private readonly approvalsService: ApprovalsService,
    @Inject(SERVICES) services: Services,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.slack =
      config.slack === undefined
        ? undefined
        : new SlackClient({ botToken: config.slack.botToken, apiUrl: config.slack.apiUrl, timeoutMs: 2_000 });
    this.approvals = services.approvals;
    this.audit = services.audit;
  }

  /** `requestKey` identifies the signed request (part of its signature) in audit idempotency keys. */
  async handle(rawBody: Buffer, requestKey: string): Promise<void> {
    const payload = this.parse(rawBody);
    if (payload === undefined) return; // an interaction Interlock does not handle
    const work = this.decideAll(payload, requestKey);
    // Answer Slack in time; a slow decision finishes (and explains itself) in the background.
    await Promise.race([work, new Promise((resolve) => setTimeout(resolve, ANSWER_WITHIN_MS).unref())]);
  }

  private parse(rawBody: Buffer): BlockActions | undefined {
    const form = new URLSearchParams(rawBody.toString('utf8'));
    const text = form.get('payload');
    if (text === null) throw new ApiError(400, 'invalid_payload', 'form field "payload" is missing');
    let json: unknown;
    try {
      json = parseUntrustedJson(text);
    } catch {
      throw new ApiError(400, 'invalid_payload', 'form field "payload" is not JSON');
    }
    if ((json as { type?: unknown } | null)?.type !== 'block_actions') return undefined;
    const parsed = blockActionsSchema.safeParse(json);
    if (!parsed.success)
      throw new ApiError(
        400,
        'invalid_payload',
        'not a valid block_actions payload',
        issuesFromZod(parsed.error.issues, 'payload'),
      );
    return parsed.data;
  }

  private async decideAll(payload: BlockActions, requestKey: string): Promise<void> {
    for (const [index, action] of payload.actions.entries()) {
      const decision = DECISIONS[action.action_id];
      if (decision === undefined) continue;
      try {
        await this.decideOne(payload, action, decision, `${requestKey}:${index}`);
      } catch (error) {
        this.log.error({ err: error, slackUser: payload.user.id }, 'Slack decision could not be handled');
      }
    }
  }

  private async decideOne(
    payload: BlockActions,
    action: BlockActions['actions'][number],
    decision: 'approve' | 'reject',
    requestKey: string,
  ): Promise<void> {
    const approvalId = approvalIdSchema.safeParse(action.value);
    if (!approvalId.success) {
      await this.explain(payload, 'This button does not carry a valid approval ID.');
      return;
    }
    const operatorConfig = this.config.operators.find((op) => op.slackUserId === payload.user.id);
    if (operatorConfig === undefined) {
      await this.auditRefusal(approvalId.data, payload.user.id, undefined, decision, requestKey, {
        code: 'unknown_slack_user',
        message: `Slack user ${payload.user.id} is not linked to an Interlock operator`,
      });
      await this.explain(
        payload,
        `Your ${decision} was not recorded: your Slack account is not linked to an Interlock operator.`,
      );
      return;
    }
    const operator = { id: operatorConfig.id, name: operatorConfig.name, roles: operatorConfig.roles };
    try {
      // The action's timestamp identifies the click: a Slack retry of it counts once.
      const updateId = `slack:${approvalId.data}:${payload.user.id}:${action.action_ts}`;
      await this.approvalsService.decide(approvalId.data, operator, { decision }, 'slack', updateId);
    } catch (error) {
      const refusal = refusalOf(error);
      await this.auditRefusal(approvalId.data, payload.user.id, operator, decision, requestKey, refusal);
      const hint = REFUSAL_HINTS[refusal.code] ?? refusal.message;
      await this.explain(payload, `Your ${decision} was not recorded: ${hint}. (${refusal.message})`);
    }
  }

  /** An ephemeral message: only the clicker sees it. */
  private async explain(payload: BlockActions, text: string): Promise<void> {
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    if (this.slack === undefined || channel === undefined) return;
    try {
      await this.slack.postEphemeral(channel, payload.user.id, text);
    } catch (error) {
      this.log.warn({ err: error, slackUser: payload.user.id }, 'could not post the ephemeral explanation');
    }
  }

  private async auditRefusal(
    approvalId: string,
    slackUserId: string,
    operator: { id: string; roles: string[] } | undefined,
    decision: 'approve' | 'reject',
    requestKey: string,
    refusal: { code: string; message: string },
  ): Promise<void> {
    const approval = await this.approvals.get(approvalId);
    await this.appendAudit({
      idempotencyKey: `slack:refused:${requestKey}`,
      time: new Date().toISOString(),
      incidentId: approval?.incidentId ?? 'unattributed',
      ...(approval === undefined
        ? {}
        : { workflowId: approval.workflowId, playbookId: approval.playbookId, stepId: approval.stepId }),
      actor:
        operator === undefined
          ? { type: 'operator', id: `slack:${slackUserId}`, channel: 'slack' }
          : { type: 'operator', id: operator.id, roles: operator.roles, channel: 'slack' },
      eventType: 'approval.refused',
      ...(approval === undefined ? {} : { approval: { approvalId, actionDigest: approval.actionDigest } }),
      result: { status: 'refused', detail: `${refusal.code}: ${refusal.message}` },
      details: { decision, slackUserId, approvalId },
    });
  }

  private async appendAudit(event: AuditEventInput): Promise<void> {
    try {
      await this.audit.append(event);
    } catch (error) {
      this.log.error({ err: error, eventType: event.eventType }, 'could not audit a Slack refusal');
    }
  }
}
