import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { Connectors } from '../../../integrations';
import { readNewestFileAnchor } from '../../audit/anchor';
import { buildEvidenceBundle, exportIncident, type EvidenceRawBody } from '../../audit/evidence';
import { IncidentIndex, type IncidentFilter } from '../../audit/incident-index';
import type { AuditRecord } from '../../audit/types';
import type { InterlockConfig } from '../../config/schema';
import { RawBodyStore, type StoredRawBody } from '../../intake/raw-body-store';
import type { Services } from '../../runtime/services';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { OperatorDirectory } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';
import { CONFIG, SERVICES, TEMPORAL_CLIENT } from '../tokens';
import { checkTimelineLink, signTimelineLink } from '../ui/signed-link';
import { renderTimelinePage } from '../ui/timeline-page';
import type { CaseChangeRequest } from '../../cases/case-state';
import { type CaseChannel, CaseWork } from './case-work';
import { loadIncidentDetail, loadIncidentView, summaryOf, temporalUiLink } from './incident-view';

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

/** Distinct raw bodies the incident page reads and shows inline; the rest are linked. */
export const PAGE_RAW_BODIES = 100;

/** A signed timeline link's query (`?op&exp&sig`), as UiController validated it. */
export interface TimelineLinkQuery {
  op: string;
  exp: number;
  sig: string;
}

/**
 * Incidents as operators read them: the index derived from the audit trail, the detail joined
 * with Temporal, the audit export and evidence bundle, chain verification, the timeline page.
 */
@Injectable()
export class IncidentsService {
  private readonly index: IncidentIndex;
  /** The configured connectors: the incident view reads its tasks' state from the ticketing tool. */
  private readonly connectors: Connectors;
  private readonly cases: CaseWork;
  private readonly rawBodies: RawBodyStore;

  constructor(
    @Inject(SERVICES) private readonly services: Services,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {
    this.index = new IncidentIndex(services.pool);
    this.connectors = new Connectors(config.integrations);
    this.rawBodies = RawBodyStore.fromConfig(services.pool, config);
    this.cases = new CaseWork(services.pool, services.audit, (id) => directory.byId(id) !== undefined);
  }

  changeCase(incidentId: string, operator: AuthenticatedOperator, request: CaseChangeRequest, channel?: CaseChannel) {
    return this.cases.change(incidentId, operator, request, channel);
  }

  comment(
    incidentId: string,
    operator: AuthenticatedOperator,
    text: string,
    idempotencyKey: string | undefined,
    channel?: CaseChannel,
  ) {
    return this.cases.comment(incidentId, operator, text, idempotencyKey, channel);
  }

  async list(filter: IncidentFilter & { limit: number; offset: number }) {
    const { incidents, total, totalCapped, nextCursor } = await this.index.list(filter);
    const nextOffset = filter.offset + incidents.length;
    return {
      incidents,
      total,
      ...(totalCapped && { totalCapped }),
      limit: filter.limit,
      offset: filter.offset,
      // There is a next page when an incident follows this one. Offsets count from the first
      // incident: after a cursor only nextCursor goes on.
      ...(filter.cursor === undefined && nextCursor !== undefined && { nextOffset }),
      ...(nextCursor !== undefined && { nextCursor }),
    };
  }

  /** Incidents per zone under the list's filters but `zone`: `{zones: [{zone, count}]}`. */
  async zoneCounts(filter: Omit<IncidentFilter, 'limit' | 'offset' | 'zone'>) {
    return { zones: await this.index.zoneCounts(filter) };
  }

  /** The change feed behind the console's live updates (IncidentIndex.changedSince). */
  lastSeq(): Promise<number> {
    return this.index.lastSeq();
  }

  changedSince(afterSeq: number) {
    return this.index.changedSince(afterSeq);
  }

  async get(incidentId: string) {
    const detail = await loadIncidentDetail(this.config, this.services, this.temporal, incidentId, this.connectors);
    if (!detail) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    return detail;
  }

  /**
   * The console's incident page: the detail, the records it was made from, whether the
   * incident's segment of the audit chain verifies.
   */
  async view(incidentId: string) {
    const [view, verification] = await Promise.all([
      loadIncidentView(this.config, this.services, this.temporal, incidentId, this.connectors),
      this.services.audit.verify({ incidentId }),
    ]);
    if (!view) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    // The page shows the first PAGE_RAW_BODIES distinct bodies; the others are a link away.
    const hashes = [...new Set(view.detail.alerts.flatMap((a) => (a.trigger ? [a.trigger.rawSha256] : [])))];
    const rawBodies = await this.rawBodies.read(hashes.slice(0, PAGE_RAW_BODIES));
    return { ...view, verification, rawBodies, rawBodiesRead: new Set(hashes.slice(0, PAGE_RAW_BODIES)) };
  }

  /**
   * One raw webhook body of the incident (GET /incidents/{id}/raw-bodies/{sha256}): 404 when no
   * alert of the incident has that SHA-256, or when the body is not stored (storing off, pruned).
   */
  async rawBody(incidentId: string, sha256: string): Promise<StoredRawBody> {
    const records = await this.services.audit.listByIncident(incidentId);
    if (records.length === 0) throw new ApiError(404, 'incident_not_found', `no incident ${incidentId}`);
    if (!records.some((r) => r.trigger?.rawSha256 === sha256))
      throw new ApiError(404, 'raw_body_not_found', `no alert of incident ${incidentId} has the raw body ${sha256}`);
    const stored = (await this.rawBodies.read([sha256])).get(sha256);
    if (stored === undefined)
      throw new ApiError(
        404,
        'raw_body_not_stored',
        'the raw body is not stored: older than its retention, or intake.rawBodies.store was off',
      );
    return stored;
  }

  /** "Omar Haddad (omar)" for a configured operator, else the ID. */
  operatorName(operatorId: string): string {
    const operator = this.directory.byId(operatorId);
    return operator ? `${operator.name} (${operator.id})` : operatorId;
  }

  /** The incident's audit records: the export object, or CSV text with its file name. */
  async audit(incidentId: string, format: 'json' | 'csv') {
    const exported = await exportIncident(this.services.audit, incidentId);
    if (!exported) throw new ApiError(404, 'incident_not_found', `no audit records for incident ${incidentId}`);
    return format === 'csv'
      ? { format, csv: toCsv(exported.records), filename: `${incidentId}-audit.csv` }
      : { format, exported };
  }

  async evidence(incidentId: string, operator: AuthenticatedOperator) {
    const temporalUi = temporalUiLink(this.config, incidentId);
    const bundle = await buildEvidenceBundle(this.services.audit, incidentId, {
      operator,
      rawBodies: (hashes) => this.rawBodyEvidence(hashes),
      ...(temporalUi !== undefined && { temporalUiUrl: temporalUi }),
    });
    if (!bundle) throw new ApiError(404, 'incident_not_found', `no audit records for incident ${incidentId}`);
    return bundle;
  }

  /** The evidence bundle's raw bodies: each distinct one, stored or not, bytes in base64. */
  private async rawBodyEvidence(hashes: string[]): Promise<EvidenceRawBody[]> {
    const stored = await this.rawBodies.read(hashes);
    return hashes.map((sha256) => {
      const body = stored.get(sha256);
      if (body === undefined) return { sha256, stored: false };
      return {
        sha256,
        stored: true,
        source: body.source,
        receivedAt: body.receivedAt,
        size: body.size,
        truncated: body.truncated,
        sha256Matches: body.sha256Matches,
        ...(body.body !== undefined && { bodyBase64: body.body.toString('base64') }),
        ...(body.unreadable !== undefined && { unreadable: body.unreadable }),
      };
    });
  }

  timelineLink(incidentId: string, operator: AuthenticatedOperator) {
    const apiKey = this.directory.byId(operator.id)?.apiKey;
    if (apiKey === undefined) throw new ApiError(401, 'unauthorized', 'operator has no API key');
    const { query, expiresAt } = signTimelineLink(apiKey, incidentId, operator.id);
    const base = this.config.server.publicUrl.replace(/\/+$/, '');
    return { url: `${base}/ui/incidents/${incidentId}?${query}`, expiresAt };
  }

  /** The whole chain is also compared with the newest anchored head, when audit.anchor.file is set. */
  async verify(incidentId: string | undefined) {
    if (incidentId !== undefined) return this.services.audit.verify({ incidentId });
    const file = this.config.audit.anchor?.file;
    const anchor = file === undefined ? undefined : await readNewestFileAnchor(file);
    return this.services.audit.verify(anchor === undefined ? {} : { anchor });
  }

  /**
   * The timeline page's reader: the operator behind the API key, else behind a valid signed
   * link for this incident (the link's query is validated by the caller; undefined when invalid).
   */
  timelineReader(
    incidentId: string,
    authorization: string | undefined,
    link: TimelineLinkQuery | undefined,
  ): AuthenticatedOperator {
    const byHeader = this.directory.authenticate(authorization);
    if (byHeader) return byHeader;
    if (link !== undefined) {
      const operator = this.directory.byId(link.op);
      if (operator?.apiKey !== undefined && checkTimelineLink(operator.apiKey, incidentId, link)) {
        return { id: operator.id, name: operator.name, roles: operator.roles };
      }
    }
    throw new ApiError(
      401,
      'unauthorized',
      'an operator API key (Authorization: Bearer <key>) or a valid link from GET /incidents/{id}/timeline-link is required',
    );
  }

  async timelinePage(incidentId: string): Promise<string> {
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
      operatorName: (operatorId) => this.operatorName(operatorId),
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
