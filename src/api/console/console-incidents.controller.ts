import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Inject, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { InterlockConfig } from '../../config/schema';
import { ApiError, issuesFromZod } from '../common/api-error';
import { ConsoleSessionAuth } from '../common/openapi-security';
import { ZodParam } from '../common/zod-pipe';
import { BackgroundRefresh, ConsoleSessionGuard, CurrentConsoleSession } from './auth/console-session.guard';
import { CSRF_FIELD } from './auth/csrf';
import type { ConsoleSession } from './auth/session-store';
import {
  caseChangeSchema,
  commentSchema,
  incidentIdSchema,
  listQuerySchema,
  rawSha256Schema,
} from '../incidents/incidents.controller';
import { IncidentsService } from '../incidents/incidents.service';
import { CONFIG } from '../tokens';
import { incidentPage } from './incident-page';
import { QUEUE_FILTERS, queuePage, queueRegion, type QueueFilters, type QueueInput } from './incidents-queue-page';
import { consoleMessagePage, sendConsolePage } from './layout';
import { apiErrorMessage, ConsolePageErrors, viewerOf } from './page-errors';

/** Incidents per queue page. */
export const QUEUE_PAGE_SIZE = 25;

type Session = ConsoleSession & { token: string };
const IncidentId = () => ZodParam('id', incidentIdSchema, 'incident ID');

/** The queue's query as the GET form sends it: empty fields mean "any", and are dropped. */
function queueQuery(query: unknown): { filters: QueueFilters; offset: number; parsed: ReturnType<typeof parse> } {
  const raw = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => typeof v === 'string' && v !== ''),
  ) as Record<string, string>;
  const filters: QueueFilters = {};
  for (const name of QUEUE_FILTERS) if (present[name] !== undefined) filters[name] = present[name];
  const parsed = parse({ ...present, limit: String(QUEUE_PAGE_SIZE) });
  return { filters, offset: parsed.success ? parsed.data.offset : 0, parsed };
}

function parse(query: Record<string, string>) {
  return listQuerySchema.safeParse(query);
}

/** The case form: status, assignee ('' = nobody), tags as a comma-separated list (the whole set). */
const caseFormSchema = z.object({
  status: z.string().optional(),
  assignee: z.string().optional(),
  tags: z.string().max(2_000).optional(),
});

/**
 * The console's incident pages (docs/console.md): the queue, its live region, the incident
 * page, and the case forms, which go through the same case work as PATCH /incidents/{id}/case
 * and POST /incidents/{id}/comments (validated by the same schemas, audited with the operator
 * as actor and `console` as channel).
 */
@Controller('console')
@UseGuards(ConsoleSessionGuard)
@UseFilters(ConsolePageErrors)
@ConsoleSessionAuth()
export class ConsoleIncidentsController {
  constructor(
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(CONFIG) private readonly config: InterlockConfig,
  ) {}

  @Get('incidents')
  @ApiOperation({ summary: 'The incidents queue (HTML): filters, counts per zone, newest first, paging' })
  @ApiProduces('text/html')
  async queue(
    @CurrentConsoleSession() session: Session,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.sendQueue(reply, session, query, queuePage);
  }

  @Get('incidents/live')
  @BackgroundRefresh()
  @ApiOperation({ summary: "The queue's live region (HTML fragment) for the same filters: console.js swaps it in" })
  @ApiProduces('text/html')
  async queueLive(
    @CurrentConsoleSession() session: Session,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.sendQueue(reply, session, query, queueRegion);
  }

  @Get('incidents/:id')
  @ApiOperation({ summary: 'An incident (HTML): alerts, targets, decisions, approvals, case work' })
  @ApiProduces('text/html')
  async incident(
    @IncidentId() incidentId: string,
    @CurrentConsoleSession() session: Session,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const saved = (query as Record<string, unknown> | undefined)?.['saved'];
    const notice =
      saved === 'case'
        ? { kind: 'saved' as const, text: 'Case saved.' }
        : saved === 'comment'
          ? { kind: 'saved' as const, text: 'Comment added.' }
          : undefined;
    return this.renderIncident(reply, 200, session, incidentId, notice);
  }

  @Post('incidents/:id/case')
  @ApiOperation({ summary: 'Changes the case from the incident page (form post, CSRF token); 303 back to the page' })
  @ApiProduces('text/html')
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: [CSRF_FIELD],
      properties: {
        [CSRF_FIELD]: { type: 'string' },
        status: { type: 'string' },
        assignee: { type: 'string', description: 'an operator ID; empty: nobody' },
        tags: { type: 'string', description: 'the whole set, comma separated' },
      },
    },
  })
  async changeCase(
    @IncidentId() incidentId: string,
    @CurrentConsoleSession() session: Session,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    try {
      const form = caseFormSchema.parse(body ?? {});
      const current = (await this.incidents.get(incidentId)).case;
      const wanted = [
        ...new Set(
          (form.tags ?? '')
            .split(',')
            .map((t) => t.trim().toLowerCase())
            .filter((t) => t !== ''),
        ),
      ];
      const request = caseChangeSchema.safeParse({
        ...(form.status !== undefined && form.status !== '' && { status: form.status }),
        ...(form.assignee !== undefined && { assignee: form.assignee === '' ? null : form.assignee }),
        ...(form.tags !== undefined && {
          tags: {
            add: wanted.filter((t) => !current.tags.includes(t)),
            remove: current.tags.filter((t) => !wanted.includes(t)),
          },
        }),
      });
      if (!request.success)
        throw new ApiError(400, 'invalid_request', 'invalid case change', issuesFromZod(request.error.issues));
      await this.incidents.changeCase(incidentId, session.operator, request.data, 'console');
    } catch (error) {
      return this.refused(reply, session, incidentId, error);
    }
    return reply.status(303).header('Location', `/console/incidents/${incidentId}?saved=case#case`).send();
  }

  @Post('incidents/:id/comments')
  @ApiOperation({ summary: 'Comments on the incident from its page (form post, CSRF token); 303 back to the page' })
  @ApiProduces('text/html')
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: [CSRF_FIELD, 'text'],
      properties: {
        [CSRF_FIELD]: { type: 'string' },
        text: { type: 'string' },
        key: { type: 'string', description: 'the form’s idempotency key: a double submit records once' },
      },
    },
  })
  async comment(
    @IncidentId() incidentId: string,
    @CurrentConsoleSession() session: Session,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    try {
      const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const parsed = commentSchema.safeParse({ text: fields['text'] });
      if (!parsed.success)
        throw new ApiError(400, 'invalid_request', 'invalid comment', issuesFromZod(parsed.error.issues));
      const key =
        typeof fields['key'] === 'string' && /^[0-9a-f-]{36}$/.test(fields['key']) ? fields['key'] : undefined;
      await this.incidents.comment(incidentId, session.operator, parsed.data.text, key, 'console');
    } catch (error) {
      return this.refused(reply, session, incidentId, error);
    }
    return reply.status(303).header('Location', `/console/incidents/${incidentId}?saved=comment#case`).send();
  }

  @Get('incidents/:id/evidence')
  @ApiOperation({ summary: 'The evidence bundle of the incident (JSON download), as GET /incidents/{id}/evidence' })
  async evidence(
    @IncidentId() incidentId: string,
    @CurrentConsoleSession() session: Session,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const bundle = await this.incidents.evidence(incidentId, session.operator);
    return reply
      .header('Content-Type', 'application/json; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${incidentId}-evidence.json"`)
      .header('Cache-Control', 'no-store')
      .send(JSON.stringify(bundle, null, 2));
  }

  @Get('incidents/:id/raw-bodies/:sha256')
  @ApiOperation({
    summary:
      "The stored raw webhook body of one of the incident's alerts (download), as GET /incidents/{id}/raw-bodies/{sha256}",
  })
  @ApiProduces('application/octet-stream')
  async rawBody(
    @IncidentId() incidentId: string,
    @ZodParam('sha256', rawSha256Schema, 'SHA-256') sha256: string,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const stored = await this.incidents.rawBody(incidentId, sha256);
    if (stored.body === undefined)
      throw new ApiError(409, 'raw_body_unreadable', `the raw body cannot be read: ${stored.unreadable ?? ''}`);
    // Untrusted bytes: a download, never rendered (nosniff, no type the browser would run).
    return reply
      .header('Content-Type', 'application/octet-stream')
      .header('Content-Disposition', `attachment; filename="${sha256}${stored.truncated ? '-truncated' : ''}.json"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; sandbox")
      .header('Cache-Control', 'no-store')
      .send(stored.body);
  }

  @Get('incidents/:id/audit.csv')
  @ApiOperation({ summary: "The incident's audit records (CSV download), as GET /incidents/{id}/audit?format=csv" })
  async auditCsv(@IncidentId() incidentId: string, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const result = await this.incidents.audit(incidentId, 'csv');
    return reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${incidentId}-audit.csv"`)
      .header('Cache-Control', 'no-store')
      .send(result.format === 'csv' ? result.csv : '');
  }

  private operators() {
    return this.config.operators.map((o) => ({ id: o.id, name: o.name }));
  }

  /** The queue for the query's filters, rendered whole (the page) or its live region alone; 400 for a refused filter. */
  private async sendQueue(
    reply: FastifyReply,
    session: Session,
    query: unknown,
    render: (input: QueueInput) => string,
  ): Promise<FastifyReply> {
    const input = await this.queueInput(session, query);
    return sendConsolePage(reply, input.error === undefined ? 200 : 400, render(input));
  }

  private async queueInput(session: Session, query: unknown): Promise<QueueInput> {
    const { filters, offset, parsed } = queueQuery(query);
    const base = {
      viewer: viewerOf(session),
      filters,
      limit: QUEUE_PAGE_SIZE,
      offset,
      choices: {
        zones: this.config.zones.map((z) => z.id),
        sources: Object.keys(this.config.sources),
        operators: this.operators(),
      },
    };
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ...base,
        incidents: [],
        total: 0,
        zoneCounts: [],
        error: `Filter refused: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      };
    }
    const { limit: _limit, offset: _offset, zone: _zone, ...others } = parsed.data;
    const [list, counts] = await Promise.all([this.incidents.list(parsed.data), this.incidents.zoneCounts(others)]);
    return { ...base, incidents: list.incidents, total: list.total, zoneCounts: counts.zones };
  }

  private async renderIncident(
    reply: FastifyReply,
    status: number,
    session: Session,
    incidentId: string,
    notice?: { kind: 'saved' | 'error'; text: string },
  ): Promise<FastifyReply> {
    const viewer = viewerOf(session);
    let view: Awaited<ReturnType<IncidentsService['view']>>;
    try {
      view = await this.incidents.view(incidentId);
    } catch (error) {
      if (error instanceof ApiError && error.getStatus() === 404)
        return sendConsolePage(reply, 404, consoleMessagePage(viewer, 'Not found', `No incident ${incidentId}.`));
      throw error;
    }
    return sendConsolePage(
      reply,
      status,
      incidentPage({
        viewer,
        ...view,
        operators: this.operators(),
        operatorName: (id) => this.incidents.operatorName(id),
        commentKey: randomUUID(),
        ...(notice === undefined ? {} : { notice }),
      }),
    );
  }

  /** A refused form: the page again, with the reason, in the refusal's status. */
  private refused(reply: FastifyReply, session: Session, incidentId: string, error: unknown): Promise<FastifyReply> {
    if (!(error instanceof ApiError) || error.getStatus() >= 500 || error.getStatus() === 404) throw error;
    const issues = error.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
    const text = `Not saved: ${apiErrorMessage(error)}${issues === undefined || issues === '' ? '' : ` (${issues})`}`;
    return this.renderIncident(reply, error.getStatus(), session, incidentId, { kind: 'error', text });
  }
}
