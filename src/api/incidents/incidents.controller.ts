import { Controller, Get, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import type { FastifyReply as Response } from 'fastify';
import { z } from 'zod';
import { SEVERITIES } from '../../alerts/alert';
import { buildEvidenceBundle, exportIncident } from '../../audit/evidence';
import { IncidentIndex } from '../../audit/incident-index';
import type { AuditRecord } from '../../audit/types';
import type { InterlockConfig } from '../../config/schema';
import type { Services } from '../../runtime/services';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { OperatorDirectory } from '../auth/operator-directory';
import { CurrentOperator, OperatorGuard } from '../auth/operator.guard';
import { ApiError } from '../common/api-error';
import { parseOrThrow } from '../common/zod-body';
import { CONFIG, SERVICES, TEMPORAL_CLIENT } from '../tokens';
import { signTimelineLink } from '../ui/signed-link';
import { loadIncidentDetail, temporalUiLink } from './incident-view';
import { OperatorAuth } from '../common/openapi-security';

export const incidentIdSchema = z.string().regex(/^inc-[0-9a-f]{24}$/, 'not an incident ID');
const auditQuerySchema = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
const verifyQuerySchema = z.strictObject({ incidentId: incidentIdSchema.optional() });
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
const listQuerySchema = z
  .strictObject({
    status: z.enum(['open', 'closed']).optional(),
    severity: z.enum(SEVERITIES).optional(),
    zone: nameFilter.optional(),
    source: nameFilter.optional(),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  });

const CSV_COLUMNS = [
  'seq',
  'time',
  'eventType',
  'incidentId',
  'playbookId',
  'stepId',
  'actor',
  'target',
  'decision',
  'result',
  'prevHash',
  'hash',
] as const;

function csvCell(value: unknown): string {
  const text =
    value === undefined
      ? ''
      : typeof value === 'string' || typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
  // Quote everything and neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The readable columns, then `record`: the full hashed content, so the CSV verifies offline. */
function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) => {
    const { seq: _seq, prevHash: _prev, hash: _hash, ...content } = r;
    return [...CSV_COLUMNS.map((c) => csvCell(r[c])), csvCell(content)].join(',');
  });
  return [[...CSV_COLUMNS, 'record'].join(','), ...rows].join('\r\n') + '\r\n';
}

@Controller()
@UseGuards(OperatorGuard)
@OperatorAuth()
export class IncidentsController {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {}

  /** Incidents derived from the audit trail, newest first. */
  @Get('incidents')
  @ApiOperation({ summary: 'List incidents' })
  async list(@Query() query: unknown) {
    const filter = parseOrThrow(listQuerySchema, query, 'query');
    const { incidents, total } = await new IncidentIndex(this.services.pool).list(filter);
    const nextOffset = filter.offset + incidents.length;
    return {
      incidents,
      total,
      limit: filter.limit,
      offset: filter.offset,
      ...(nextOffset < total && { nextOffset }),
    };
  }

  @Get('incidents/:id')
  @ApiOperation({ summary: 'Get an incident: workflow status, alerts and playbook runs' })
  async get(@Param('id') id: string) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const detail = await loadIncidentDetail(this.config, this.services, this.temporal, incidentId);
    if (!detail) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    return detail;
  }

  @Get('incidents/:id/audit')
  @ApiOperation({ summary: "Export an incident's audit records (JSON or CSV)" })
  async audit(@Param('id') id: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const { format } = parseOrThrow(auditQuerySchema, query, 'query');
    const exported = await exportIncident(this.services.audit, incidentId);
    if (!exported) throw new ApiError(404, 'incident_not_found', `no audit records for incident ${incidentId}`);
    if (format === 'csv') {
      void res.header('Content-Type', 'text/csv; charset=utf-8');
      void res.header('Content-Disposition', `attachment; filename="${incidentId}-audit.csv"`);
      return toCsv(exported.records);
    }
    return exported;
  }

  /** NERC CIP-008/CIP-010 evidence: the chain segment, its hashes and verification data. */
  @Get('incidents/:id/evidence')
  @ApiOperation({ summary: 'Download the NERC CIP evidence bundle of an incident' })
  async evidence(
    @Param('id') id: string,
    @CurrentOperator() operator: AuthenticatedOperator,
    @Res({ passthrough: true }) res: Response,
  ) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const temporalUi = temporalUiLink(this.config, incidentId);
    const bundle = await buildEvidenceBundle(this.services.audit, incidentId, {
      operator,
      ...(temporalUi !== undefined && { temporalUiUrl: temporalUi }),
    });
    if (!bundle) throw new ApiError(404, 'incident_not_found', `no audit records for incident ${incidentId}`);
    void res.header('Content-Disposition', `attachment; filename="${incidentId}-evidence.json"`);
    return bundle;
  }

  /** A link to the timeline page that works in a browser for 15 minutes (no header needed). */
  @Get('incidents/:id/timeline-link')
  @ApiOperation({ summary: 'Get a signed 15-minute link to the timeline page' })
  timelineLink(@Param('id') id: string, @CurrentOperator() operator: AuthenticatedOperator) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const apiKey = this.directory.byId(operator.id)?.apiKey;
    if (apiKey === undefined) throw new ApiError(401, 'unauthorized', 'operator has no API key');
    const { query, expiresAt } = signTimelineLink(apiKey, incidentId, operator.id);
    const base = this.config.server.publicUrl.replace(/\/+$/, '');
    return { url: `${base}/ui/incidents/${incidentId}?${query}`, expiresAt };
  }

  @Get('audit/verify')
  @ApiOperation({ summary: 'Verify the audit hash chain' })
  async verify(@Query() query: unknown) {
    const { incidentId } = parseOrThrow(verifyQuerySchema, query, 'query');
    return this.services.audit.verify(incidentId === undefined ? {} : { incidentId });
  }
}
