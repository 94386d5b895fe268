import { Controller, Get, Header, Headers, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { OperatorOrSignedLinkAuth } from '../common/openapi-security';
import { ZodParam } from '../common/zod-pipe';
import { incidentIdSchema } from '../incidents/incidents.controller';
import { IncidentsService } from '../incidents/incidents.service';

/** A signed link's query; anything else in the query makes the link invalid (401, not 400). */
const linkQuerySchema = z.strictObject({
  op: z.string().min(1).max(200),
  exp: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * Server-rendered pages. Authentication: the operator's `Authorization: Bearer <apiKey>`, or
 * a signed link from GET /incidents/{id}/timeline-link (?op&exp&sig, 15 minutes). Checked
 * here, after the incident ID, not by a guard: either credential will do.
 */
@Controller('ui')
@OperatorOrSignedLinkAuth()
export class UiController {
  constructor(@Inject(IncidentsService) private readonly incidents: IncidentsService) {}

  @Get('incidents/:id')
  @ApiOperation({ summary: "An incident's timeline page (HTML)" })
  @ApiQuery({ name: 'op', required: false, schema: { type: 'string' }, description: 'signed link: operator ID' })
  @ApiQuery({
    name: 'exp',
    required: false,
    schema: { type: 'integer' },
    description: 'signed link: expiry (Unix seconds)',
  })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  @Header('Referrer-Policy', 'no-referrer')
  timeline(
    @ZodParam('id', incidentIdSchema, 'incident ID') incidentId: string,
    @Query() query: unknown,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<string> {
    const link = linkQuerySchema.safeParse(query);
    this.incidents.timelineReader(incidentId, authorization, link.success ? link.data : undefined);
    return this.incidents.timelinePage(incidentId);
  }
}
