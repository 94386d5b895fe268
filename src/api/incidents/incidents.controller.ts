import { Controller, Get, Headers, HttpCode, Inject, Patch, Post, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { z } from 'zod';
import { SEVERITIES } from '../../alerts/alert';
import { decodeCursor } from '../../audit/incident-index';
import { CASE_STATUSES, MAX_COMMENT_LENGTH } from '../../cases/case-state';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { CurrentOperator, OperatorGuard } from '../auth/operator.guard';
import { OperatorAuth } from '../common/openapi-security';
import { ZodBody, ZodParam, ZodQuery } from '../common/zod-pipe';
import { IncidentsService } from './incidents.service';

export const incidentIdSchema = z.string().regex(/^inc-[0-9a-f]{24}$/, 'not an incident ID');
const auditQuerySchema = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
const verifyQuerySchema = z.strictObject({
  incidentId: incidentIdSchema.optional().describe('verify only this incident’s segment of the chain'),
});
/**
 * Bounds of `from`/`to`: years 0001–9999 in UTC, which both PostgreSQL (no year 0, limited UTC
 * offsets) and JavaScript's Date accept. The value is passed on as its UTC instant.
 */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
const instantSchema = z.iso
  .datetime({ offset: true })
  .transform((value) => Date.parse(value))
  .refine((ms) => ms >= EARLIEST && ms <= LATEST, 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z')
  .transform((ms) => new Date(ms).toISOString());
/** A zone or source name to filter on; control characters (NUL among them) are never in one. */
const nameFilter = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\P{Cc}*$/u, 'must not contain control characters');
/** An operator ID as the configuration writes it (operators[].id). */
const operatorIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\P{Cc}*$/u, 'must not contain control characters');
const filterFields = {
  caseStatus: z.enum(CASE_STATUSES).optional().describe('the case status people set (new until someone sets one)'),
  assignee: operatorIdSchema.optional().describe('the operator ID the case is assigned to'),
  status: z.enum(['open', 'closed']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  zone: nameFilter.optional(),
  source: nameFilter.optional(),
  unhandled: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only incidents an OT alert left unhandled (no playbook matched); false: the others'),
  waitingForApproval: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only incidents with an approval request waiting for a decision now; false: the others'),
  from: instantSchema.optional().describe('incidents opened at or after this instant (RFC 3339, with offset)'),
  to: instantSchema.optional().describe('incidents opened before this instant (RFC 3339, with offset)'),
};
const fromBeforeTo: [
  (q: { from?: string | undefined; to?: string | undefined }) => boolean,
  { message: string; path: string[] },
] = [
  (q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to),
  { message: 'from must be before to', path: ['from'] },
];
/** GET /incidents (and the console's queue): the filters, a page. */
export const listQuerySchema = z
  .strictObject({
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    cursor: z
      .string()
      .max(400)
      .transform((text, ctx) => {
        const cursor = decodeCursor(text);
        if (cursor === undefined) ctx.addIssue({ code: 'custom', message: 'not a cursor from nextCursor' });
        return cursor ?? z.NEVER;
      })
      .optional()
      .describe('the page after the one whose nextCursor this is (keyset paging: as fast on any page)'),
  })
  .refine(...fromBeforeTo);
/** GET /incidents/zones: the same filters but the zone itself. */
const { zone: _zone, ...zoneCountFields } = filterFields;
const zoneCountQuerySchema = z.strictObject(zoneCountFields).refine(...fromBeforeTo);

/** Tags are compared case-insensitively: stored lower case. */
const tagSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._:/-]*$/u, 'letters, digits and . _ : / - only, starting with a letter or digit')
  .transform((tag) => tag.toLowerCase());
export const caseChangeSchema = z
  .strictObject({
    status: z.enum(CASE_STATUSES).optional(),
    assignee: operatorIdSchema.nullable().optional().describe('an operator ID, or null to unassign'),
    tags: z
      .strictObject({
        add: z.array(tagSchema).max(20).optional(),
        remove: z.array(tagSchema).max(20).optional(),
      })
      .optional()
      .describe('tags to add and to remove (not the whole set: concurrent edits both apply)'),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'nothing to change: give status, assignee or tags',
  });
/** C0/C1 controls but tab and line breaks, and lone UTF-16 surrogates (the audit trail refuses those). */
const UNPRINTABLE = /(?![\t\n\r])\p{Cc}|\p{Cs}/u;
export const commentSchema = z.strictObject({
  text: z
    .string()
    .trim()
    .min(1)
    .max(MAX_COMMENT_LENGTH)
    .refine((text) => !UNPRINTABLE.test(text), 'must not contain control characters (tab and line breaks allowed)'),
});

const IncidentId = () => ZodParam('id', incidentIdSchema, 'incident ID');
export const rawSha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 (64 lower-case hex digits)');

/** GET /incidents/{id}/raw-bodies/{sha256}: a stored raw webhook body. */
const RAW_BODY_RESPONSE = {
  type: 'object',
  required: ['incidentId', 'sha256', 'source', 'receivedAt', 'lastReceivedAt', 'size', 'storedBytes', 'truncated'],
  properties: {
    incidentId: { type: 'string' },
    sha256: { type: 'string', description: 'the audited `trigger.rawSha256` of the alerts normalized from it' },
    source: { type: 'string', description: 'the webhook source that first delivered it' },
    receivedAt: { type: 'string', format: 'date-time' },
    lastReceivedAt: { type: 'string', format: 'date-time', description: 'retention counts from here' },
    size: { type: 'integer', description: 'the whole body, in bytes' },
    storedBytes: { type: 'integer', description: 'bytes kept (less than `size` when truncated)' },
    truncated: { type: 'boolean', description: 'only the first `intake.rawBodies.maxBytes` bytes were kept' },
    encryptedWith: { type: ['string', 'null'], description: 'the encryption key ID at rest; null: stored in clear' },
    sha256Matches: {
      type: ['boolean', 'null'],
      description: 'whether the stored bytes hash to `sha256`; null when it cannot be checked (truncated, unreadable)',
    },
    text: { type: 'string', description: 'the stored bytes as UTF-8 text (invalid sequences replaced)' },
    bodyBase64: { type: 'string', description: 'the stored bytes, exactly' },
    unreadable: { type: 'string', description: 'why the body cannot be decrypted (no text nor bytes then)' },
  },
};

@Controller()
@UseGuards(OperatorGuard)
@OperatorAuth()
export class IncidentsController {
  constructor(@Inject(IncidentsService) private readonly incidents: IncidentsService) {}

  /** Incidents derived from the audit trail, newest first. */
  @Get('incidents')
  @ApiOperation({ summary: 'List incidents' })
  list(@ZodQuery(listQuerySchema) filter: z.output<typeof listQuerySchema>) {
    return this.incidents.list(filter);
  }

  /** Counts per zone for the queue's zone chips; a static route, so it wins over incidents/:id. */
  @Get('incidents/zones')
  @ApiOperation({ summary: 'Count incidents per zone under the list filters (but zone)' })
  zones(@ZodQuery(zoneCountQuerySchema) filter: z.output<typeof zoneCountQuerySchema>) {
    return this.incidents.zoneCounts(filter);
  }

  @Get('incidents/:id')
  @ApiOperation({ summary: 'Get an incident: workflow status, alerts and playbook runs' })
  get(@IncidentId() incidentId: string) {
    return this.incidents.get(incidentId);
  }

  /** Case work: status, assignee, tags. Only what differs from the case now is recorded. */
  @Patch('incidents/:id/case')
  @ApiOperation({ summary: 'Change the case of an incident: status, assignee, tags (audited)' })
  changeCase(
    @IncidentId() incidentId: string,
    @ZodBody(caseChangeSchema, 'case change') request: z.output<typeof caseChangeSchema>,
    @CurrentOperator() operator: AuthenticatedOperator,
  ) {
    return this.incidents.changeCase(incidentId, operator, request);
  }

  @Post('incidents/:id/comments')
  @ApiOperation({ summary: 'Comment on an incident (audited)' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string' },
    description:
      'per operator: a retry with the same key and text records the comment once; ' +
      'the same key with another text is `422 idempotency_key_reused`',
  })
  @HttpCode(201)
  comment(
    @IncidentId() incidentId: string,
    @ZodBody(commentSchema, 'comment') { text }: z.output<typeof commentSchema>,
    @CurrentOperator() operator: AuthenticatedOperator,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    return this.incidents.comment(incidentId, operator, text, idempotencyKey);
  }

  @Get('incidents/:id/audit')
  @ApiOperation({ summary: "Export an incident's audit records (JSON or CSV)" })
  async audit(
    @IncidentId() incidentId: string,
    @ZodQuery(auditQuerySchema) { format }: z.output<typeof auditQuerySchema>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.incidents.audit(incidentId, format);
    if (result.format === 'json') return result.exported;
    void res.header('Content-Type', 'text/csv; charset=utf-8');
    void res.header('Content-Disposition', `attachment; filename="${result.filename}"`);
    return result.csv;
  }

  /** NERC CIP-008/CIP-010 evidence: the chain segment, its hashes and verification data. */
  @Get('incidents/:id/evidence')
  @ApiOperation({ summary: 'Download the NERC CIP evidence bundle of an incident' })
  async evidence(
    @IncidentId() incidentId: string,
    @CurrentOperator() operator: AuthenticatedOperator,
    @Res({ passthrough: true }) res: Response,
  ) {
    const bundle = await this.incidents.evidence(incidentId, operator);
    void res.header('Content-Disposition', `attachment; filename="${incidentId}-evidence.json"`);
    return bundle;
  }

  /** A raw webhook body of one of the incident's alerts, by its SHA-256 (docs/console.md#raw-payloads). */
  @Get('incidents/:id/raw-bodies/:sha256')
  @ApiOperation({ summary: "Get the raw webhook body of one of the incident's alerts, by its SHA-256" })
  @ApiOkResponse({ description: 'the stored body', schema: RAW_BODY_RESPONSE })
  async rawBody(@IncidentId() incidentId: string, @ZodParam('sha256', rawSha256Schema, 'SHA-256') sha256: string) {
    const { body, ...stored } = await this.incidents.rawBody(incidentId, sha256);
    return {
      incidentId,
      ...stored,
      storedBytes: body?.length ?? 0,
      ...(body !== undefined && { text: body.toString('utf8'), bodyBase64: body.toString('base64') }),
    };
  }

  /** A link to the timeline page that works in a browser for 15 minutes (no header needed). */
  @Get('incidents/:id/timeline-link')
  @ApiOperation({ summary: 'Get a signed 15-minute link to the timeline page' })
  timelineLink(@IncidentId() incidentId: string, @CurrentOperator() operator: AuthenticatedOperator) {
    return this.incidents.timelineLink(incidentId, operator);
  }

  @Get('audit/verify')
  @ApiOperation({ summary: 'Verify the audit hash chain' })
  verify(@ZodQuery(verifyQuerySchema) { incidentId }: z.output<typeof verifyQuerySchema>) {
    return this.incidents.verify(incidentId);
  }
}
