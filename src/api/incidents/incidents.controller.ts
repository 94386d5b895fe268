import { Controller, Get, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Response } from 'express';
import { z } from 'zod';
import type { AuditRecord } from '../../audit/types';
import { OperatorGuard } from '../auth/operator.guard';
import { ApiError } from '../common/api-error';
import { parseOrThrow } from '../common/zod-body';
import { incidentStateQuery } from '../../workflows/definitions';
import { SERVICES, TEMPORAL_CLIENT } from '../tokens';
import type { Services } from '../../runtime/services';

const incidentIdSchema = z.string().regex(/^inc-[0-9a-f]{24}$/, 'not an incident ID');
const auditQuerySchema = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
const verifyQuerySchema = z.strictObject({ incidentId: incidentIdSchema.optional() });

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

function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

@Controller()
@UseGuards(OperatorGuard)
export class IncidentsController {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  @Get('incidents/:id')
  async get(@Param('id') id: string) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const handle = this.temporal.workflow.getHandle(incidentId);
    try {
      const description = await handle.describe();
      const state = await handle.query(incidentStateQuery).catch(() => undefined);
      const approvals = await this.services.approvals.list({ incidentId });
      return {
        incidentId,
        workflowId: incidentId,
        runId: description.runId,
        status: description.status.name,
        state,
        approvals,
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
      throw error;
    }
  }

  @Get('incidents/:id/audit')
  async audit(@Param('id') id: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    const { format } = parseOrThrow(auditQuerySchema, query, 'query');
    const records = await this.services.audit.listByIncident(incidentId);
    if (records.length === 0)
      throw new ApiError(404, 'incident_not_found', `no audit records for incident ${incidentId}`);
    if (format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${incidentId}-audit.csv"`);
      return toCsv(records);
    }
    return { incidentId, records };
  }

  @Get('audit/verify')
  async verify(@Query() query: unknown) {
    const { incidentId } = parseOrThrow(verifyQuerySchema, query, 'query');
    return this.services.audit.verify(incidentId === undefined ? {} : { incidentId });
  }
}
