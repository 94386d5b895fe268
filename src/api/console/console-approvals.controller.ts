import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { approvalIdSchema } from '../approvals/approvals.controller';
import { ApprovalsService, type DecisionRequest, type DescribedApproval } from '../approvals/approvals.service';
import { OperatorDirectory } from '../auth/operator-directory';
import { ApiError, issuesFromZod } from '../common/api-error';
import { ConsoleSessionAuth } from '../common/openapi-security';
import { ZodParam } from '../common/zod-pipe';
import { ConsoleSessionGuard, CurrentConsoleSession, type RequestWithSession } from './auth/console-session.guard';
import { CSRF_FIELD } from './auth/csrf';
import {
  approvalPage,
  confirmPage,
  inboxPage,
  waitsFor,
  type ApprovalView,
  type ConsoleDecision,
} from './approval-pages';
import { consoleMessagePage, sendConsolePage } from './layout';
import { ConsolePageErrors, viewerOf } from './page-errors';

type Session = NonNullable<RequestWithSession['consoleSession']>;

const DECISIONS = ['approve', 'reject', 'break-glass'] as const;
const optionalText = z
  .string()
  .max(2000)
  .transform((v) => v.trim())
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** The confirmation form, as posted (application/x-www-form-urlencoded). */
const decisionFormSchema = z
  .object({
    [CSRF_FIELD]: z.string().optional(),
    decision: z.enum(DECISIONS),
    actionDigest: z.string().regex(/^[0-9a-f]{64}$/, 'not an action digest'),
    reason: optionalText,
    justification: optionalText,
  })
  .superRefine((form, ctx) => {
    if (form.decision === 'reject' && form.reason === undefined)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'say why you reject' });
    if (form.decision === 'break-glass' && form.justification === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['justification'],
        message: 'a break-glass decision needs a written justification',
      });
  });

const confirmQuerySchema = z.object({ decision: z.enum(DECISIONS) });

/**
 * The approvals inbox and its decisions in the browser (docs/console.md). Decisions go through
 * ApprovalsService to the workflow's validator, as the API's and Slack's do: the refusal a
 * page shows is the validator's.
 */
@Controller('console/approvals')
@UseGuards(ConsoleSessionGuard)
@UseFilters(ConsolePageErrors)
@ConsoleSessionAuth()
export class ConsoleApprovalsController {
  constructor(
    @Inject(ApprovalsService) private readonly approvals: ApprovalsService,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The approvals inbox (HTML): what waits for my roles; 303 to sign-in without a session' })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'focus', required: false, schema: { type: 'string' }, description: 'an approval ID to highlight' })
  async inbox(
    @CurrentConsoleSession() session: Session,
    @Query('focus') focus: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const viewer = viewerOf(session);
    const { approvals } = await this.approvals.list({ status: 'pending' }, 500);
    const views = approvals.map((a) => this.view(a));
    return sendConsolePage(
      reply,
      200,
      inboxPage({
        viewer,
        mine: views.filter((a) => waitsFor(viewer, a)),
        others: views.filter((a) => !waitsFor(viewer, a)),
        focus: typeof focus === 'string' ? focus : undefined,
        now: Date.now(),
      }),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One approval (HTML), where the links Slack and email send land' })
  @ApiProduces('text/html')
  @ApiQuery({
    name: 'recorded',
    required: false,
    schema: { type: 'string' },
    description: 'show the "recorded" notice',
  })
  async one(
    @ZodParam('id', approvalIdSchema, 'approval ID') approvalId: string,
    @CurrentConsoleSession() session: Session,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const approval = await this.load(approvalId);
    return sendConsolePage(reply, 200, approvalPage({ viewer: viewerOf(session), approval, now: Date.now() }));
  }

  @Get(':id/confirm')
  @ApiOperation({ summary: 'The confirmation step of a decision (HTML): repeats the action and the target' })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'decision', required: true, schema: { type: 'string', enum: [...DECISIONS] } })
  async confirm(
    @ZodParam('id', approvalIdSchema, 'approval ID') approvalId: string,
    @CurrentConsoleSession() session: Session,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const parsed = confirmQuerySchema.safeParse(query);
    if (!parsed.success)
      throw new ApiError(400, 'invalid_request', 'invalid query', issuesFromZod(parsed.error.issues));
    const approval = await this.load(approvalId);
    const viewer = viewerOf(session);
    if (approval.status !== 'pending')
      return sendConsolePage(
        reply,
        409,
        consoleMessagePage(viewer, 'Already closed', `Approval ${approval.id} is ${approval.status}.`, 'approvals'),
      );
    return sendConsolePage(
      reply,
      200,
      confirmPage({ viewer, approval, decision: parsed.data.decision, now: Date.now() }),
    );
  }

  @Post(':id/decision')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Approves, rejects or forces (break-glass) from the confirmation form (CSRF token required): the approval page, or the refusal',
  })
  @ApiProduces('text/html')
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: [CSRF_FIELD, 'decision', 'actionDigest'],
      properties: {
        [CSRF_FIELD]: { type: 'string' },
        decision: { type: 'string', enum: [...DECISIONS] },
        actionDigest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        reason: { type: 'string', maxLength: 2000 },
        justification: { type: 'string', maxLength: 2000 },
      },
    },
  })
  async decide(
    @ZodParam('id', approvalIdSchema, 'approval ID') approvalId: string,
    @CurrentConsoleSession() session: Session,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const approval = await this.load(approvalId);
    const viewer = viewerOf(session);
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const decision: ConsoleDecision = DECISIONS.find((d) => d === fields['decision']) ?? 'approve';
    const values = {
      reason: typeof fields['reason'] === 'string' ? fields['reason'] : undefined,
      justification: typeof fields['justification'] === 'string' ? fields['justification'] : undefined,
    };
    const form = decisionFormSchema.safeParse(body);
    if (!form.success)
      return sendConsolePage(
        reply,
        400,
        confirmPage({
          viewer,
          approval,
          decision,
          values,
          now: Date.now(),
          error: { message: 'the form is not complete', issues: issuesFromZod(form.error.issues) },
        }),
      );
    const request: DecisionRequest =
      form.data.decision === 'break-glass'
        ? {
            decision: 'approve',
            breakGlass: true,
            justification: form.data.justification,
            actionDigest: form.data.actionDigest,
          }
        : { decision: form.data.decision, reason: form.data.reason, actionDigest: form.data.actionDigest };
    try {
      await this.approvals.decide(approvalId, session.operator, request, 'console');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The validator's refusal (self, duplicate, role, expired, changed action), on the page it answers.
      const refusal = error.getResponse() as { error?: { message?: string } };
      const latest = (await this.approvals.one(approvalId).catch(() => undefined)) ?? undefined;
      return sendConsolePage(
        reply,
        error.getStatus(),
        confirmPage({
          viewer,
          approval: latest === undefined ? approval : this.view(latest),
          decision,
          values,
          now: Date.now(),
          error: { message: refusal.error?.message ?? error.message, code: error.code },
        }),
      );
    }
    // The approval as it is now, with the vote just recorded (the service puts it in the read model first).
    const latest = await this.load(approvalId);
    return sendConsolePage(reply, 200, approvalPage({ viewer, approval: latest, recorded: true, now: Date.now() }));
  }

  private async load(approvalId: string): Promise<ApprovalView> {
    const approval = await this.approvals.one(approvalId);
    if (approval === undefined) throw new ApiError(404, 'approval_not_found', `no approval ${approvalId}`);
    return this.view(approval);
  }

  private view(row: DescribedApproval): ApprovalView {
    return {
      id: row.id,
      incidentId: row.incidentId,
      playbookId: row.playbookId,
      stepId: row.stepId,
      status: row.status,
      description: row.description,
      target: row.target,
      rule: row.decision?.rule,
      reason: row.decision?.reason,
      requiredApprovals: row.requiredApprovals,
      requiredRoles: row.requiredRoles,
      votes: row.decisions.map((d) => {
        const extra = d as { reason?: unknown; breakGlass?: unknown };
        return {
          operatorId: d.operatorId,
          name: this.directory.byId(d.operatorId)?.name ?? d.operatorId,
          decision: d.decision,
          at: d.at,
          channel: d.channel,
          reason: typeof extra.reason === 'string' ? extra.reason : undefined,
          breakGlass: extra.breakGlass !== undefined && extra.breakGlass !== false,
        };
      }),
      actionDigest: row.actionDigest,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }
}
