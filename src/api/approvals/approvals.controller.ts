import { Controller, Get, Headers, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../../approvals/approval-store';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { CurrentOperator, OperatorGuard } from '../auth/operator.guard';
import { ZodBody, ZodParam, ZodQuery } from '../common/zod-pipe';
import { cursorSchema, encodeCursor } from './approval-cursor';
import { ApprovalsService } from './approvals.service';
import { OperatorAuth } from '../common/openapi-security';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

export const listQuerySchema = z.strictObject({
  status: z
    .enum(APPROVAL_STATUSES)
    .optional()
    .describe('effective status: a pending request whose expiry has passed is `expired`'),
  incidentId: z.string().min(1).max(200).optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,6}$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .default(DEFAULT_PAGE_SIZE)
    .describe(`page size, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})`),
  cursor: cursorSchema.optional().describe('`nextCursor` of the previous page (opaque)'),
});

export const decisionBodySchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().max(2000).optional(),
    /** The digest of the action the operator reviewed; refused if the action changed since. */
    actionDigest: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Rule 11: a break-glass operator forces the action now; `justification` is required. */
    breakGlass: z.boolean().optional(),
    justification: z.string().trim().min(1).max(2000).optional(),
  })
  .refine((body) => body.breakGlass !== true || body.justification !== undefined, {
    path: ['justification'],
    message: 'a break-glass decision needs a written justification',
  });

export const approvalIdSchema = z.string().regex(/^apr-[0-9a-f-]{36}$/, 'not an approval ID');

@Controller('approvals')
@UseGuards(OperatorGuard)
@OperatorAuth()
export class ApprovalsController {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}

  @Get()
  @ApiOperation({ summary: 'List approval requests' })
  async list(@ZodQuery(listQuerySchema) query: z.output<typeof listQuerySchema>) {
    const { limit, cursor, ...filter } = query;
    const page = await this.approvals.list(filter, limit, cursor);
    return {
      approvals: page.approvals,
      ...(page.next === undefined ? {} : { nextCursor: encodeCursor(page.next) }),
    };
  }

  @Post(':id/decision')
  @ApiOperation({ summary: 'Approve or reject a pending action' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string' },
    description:
      "per operator: a retry with the same key and body gets the first request's result and counts once; " +
      'the same key with another body is `422 idempotency_key_reused`',
  })
  @HttpCode(200)
  decide(
    @ZodParam('id', approvalIdSchema, 'approval ID') approvalId: string,
    @ZodBody(decisionBodySchema, 'decision') request: z.output<typeof decisionBodySchema>,
    @CurrentOperator() operator: AuthenticatedOperator,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const updateId =
      idempotencyKey === undefined ? undefined : `${approvalId}:${operator.id}:${idempotencyKey.slice(0, 128)}`;
    return this.approvals.decide(approvalId, operator, request, 'api', updateId);
  }
}
