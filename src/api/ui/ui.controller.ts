import { Controller, Get, Header, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { z } from 'zod';
import type { InterlockConfig } from '../../config/schema';
import type { Services } from '../../runtime/services';
import { type AuthenticatedOperator, OperatorDirectory } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';
import { parseOrThrow } from '../common/zod-body';
import { incidentIdSchema } from '../incidents/incidents.controller';
import { summaryOf, temporalUiLink } from '../incidents/incident-view';
import { CONFIG, SERVICES } from '../tokens';
import { checkTimelineLink } from './signed-link';
import { renderTimelinePage } from './timeline-page';
import { OperatorOrSignedLinkAuth } from '../common/openapi-security';

const linkQuerySchema = z.strictObject({
  op: z.string().min(1).max(200),
  exp: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * Server-rendered pages. Authentication: the operator's `Authorization: Bearer <apiKey>`, or
 * a signed link from GET /incidents/{id}/timeline-link (?op&exp&sig, 15 minutes).
 */
@Controller('ui')
@OperatorOrSignedLinkAuth()
export class UiController {
  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {}

  private authenticate(req: Request, incidentId: string, query: unknown): AuthenticatedOperator {
    const byHeader = this.directory.authenticate(req.headers.authorization);
    if (byHeader) return byHeader;
    const link = linkQuerySchema.safeParse(query);
    if (link.success) {
      const operator = this.directory.byId(link.data.op);
      if (operator?.apiKey !== undefined && checkTimelineLink(operator.apiKey, incidentId, link.data)) {
        return { id: operator.id, name: operator.name, roles: operator.roles };
      }
    }
    throw new ApiError(
      401,
      'unauthorized',
      'an operator API key (Authorization: Bearer <key>) or a valid link from GET /incidents/{id}/timeline-link is required',
    );
  }

  @Get('incidents/:id')
  @ApiOperation({ summary: "An incident's timeline page (HTML)" })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  @Header('Referrer-Policy', 'no-referrer')
  async timeline(@Param('id') id: string, @Query() query: unknown, @Req() req: Request): Promise<string> {
    const incidentId = parseOrThrow(incidentIdSchema, id, 'incident ID');
    this.authenticate(req, incidentId, query);
    const [records, approvals, summary, verification] = await Promise.all([
      this.services.audit.listByIncident(incidentId),
      this.services.approvals.list({ incidentId, status: 'pending' }),
      summaryOf(this.services, incidentId),
      this.services.audit.verify({ incidentId }),
    ]);
    if (records.length === 0) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    const temporalUi = temporalUiLink(this.config, incidentId);
    return renderTimelinePage({
      incidentId,
      summary,
      records,
      pendingApprovals: approvals,
      operatorName: (operatorId) => {
        const operator = this.directory.byId(operatorId);
        return operator ? `${operator.name} (${operator.id})` : operatorId;
      },
      links: {
        ...(temporalUi !== undefined && { temporalUi }),
        auditJson: `/incidents/${incidentId}/audit?format=json`,
        auditCsv: `/incidents/${incidentId}/audit?format=csv`,
        evidence: `/incidents/${incidentId}/evidence`,
      },
      verified: verification.ok,
    });
  }
}
