/**
 * Incident exports: the JSON export and the evidence bundle. Both carry the incident's
 * records and the hashes (not the content) of the other incidents' records between them, so
 * the segment verifies offline as one contiguous piece of the global chain
 * (offline-verify.ts; `interlock verify-export <file>`).
 */
import type { AuditStore } from './audit-store';
import { GENESIS_HASH } from './hash';
import { type ChainLink, type OfflineVerifyResult, verifySegment } from './offline-verify';
import type { AuditRecord, VerifyResult } from './types';

export const EVIDENCE_FORMAT = 'interlock-evidence/1';

export interface IncidentExport {
  incidentId: string;
  exportedAt: string;
  records: AuditRecord[];
  chainLinks: ChainLink[];
  /** The chain's newest record when exported: keep it to detect a later truncation. */
  chainHead: { seq: number; hash: string };
}

export interface EvidenceBundle extends IncidentExport {
  format: typeof EVIDENCE_FORMAT;
  generatedBy: { operatorId: string; name: string };
  purpose: string;
  hashing: { algorithm: string; recordHash: string; genesisHash: string; canonicalization: string };
  verification: {
    /** The server's check against the database (content of this incident, links to the head). */
    database: VerifyResult;
    /** The same check any holder of this file can repeat offline. */
    segment: OfflineVerifyResult;
    howToVerify: string;
  };
  summary: {
    firstEventAt: string;
    lastEventAt: string;
    eventCounts: Record<string, number>;
    operators: string[];
    rules: string[];
  };
  links?: { temporalUi?: string };
  /**
   * The raw webhook bodies the incident's alerts were normalized from, one per distinct
   * `trigger.rawSha256`: the bytes stored (base64), and whether they hash to the audited value.
   */
  rawBodies?: EvidenceRawBody[];
}

export interface EvidenceRawBody {
  sha256: string;
  /** false: not stored (older than its retention, or intake.rawBodies.store was off). */
  stored: boolean;
  source?: string;
  receivedAt?: string;
  /** The whole body's size in bytes. */
  size?: number;
  /** Only the first bytes were kept (intake.rawBodies.maxBytes): the SHA-256 cannot be checked. */
  truncated?: boolean;
  sha256Matches?: boolean | null;
  bodyBase64?: string;
  unreadable?: string;
}

/** undefined when the incident has no audit records. */
export async function exportIncident(store: AuditStore, incidentId: string): Promise<IncidentExport | undefined> {
  const records = await store.listByIncident(incidentId);
  const first = records[0];
  const last = records.at(-1);
  if (!first || !last) return undefined;
  const [chainLinks, chainHead] = await Promise.all([store.chainLinks(incidentId, first.seq, last.seq), store.head()]);
  return { incidentId, exportedAt: new Date().toISOString(), records, chainLinks, chainHead };
}

export async function buildEvidenceBundle(
  store: AuditStore,
  incidentId: string,
  opts: {
    operator: { id: string; name: string };
    temporalUiUrl?: string;
    /** Reads the raw bodies of these SHA-256s (the incident's distinct `trigger.rawSha256`). */
    rawBodies?: (sha256s: string[]) => Promise<EvidenceRawBody[]>;
  },
): Promise<EvidenceBundle | undefined> {
  const exported = await exportIncident(store, incidentId);
  if (!exported) return undefined;
  const { records } = exported;
  const eventCounts: Record<string, number> = {};
  for (const r of records) eventCounts[r.eventType] = (eventCounts[r.eventType] ?? 0) + 1;
  const hashes = [...new Set(records.flatMap((r) => (r.trigger ? [r.trigger.rawSha256] : [])))];
  const rawBodies = opts.rawBodies === undefined || hashes.length === 0 ? undefined : await opts.rawBodies(hashes);
  return {
    format: EVIDENCE_FORMAT,
    ...exported,
    generatedBy: { operatorId: opts.operator.id, name: opts.operator.name },
    purpose:
      'Incident response record (NERC CIP-008: actions taken, by whom, when) and record of changes to ' +
      'OT assets with their approvals (CIP-010 change records), from a tamper-evident hash chain.',
    hashing: {
      algorithm: 'SHA-256, hex',
      recordHash: 'hash = SHA-256(prevHash + "\\n" + canonicalJSON({seq, ...record without seq/prevHash/hash}))',
      canonicalization: 'RFC 8785 JSON Canonicalization Scheme',
      genesisHash: GENESIS_HASH,
    },
    verification: {
      database: await store.verify({ incidentId }),
      segment: verifySegment(records, exported.chainLinks),
      howToVerify: 'interlock verify-export <this file>  (node dist/src/cli/verify-export.js <file>)',
    },
    summary: {
      firstEventAt: records[0]?.time ?? '',
      lastEventAt: records.at(-1)?.time ?? '',
      eventCounts,
      operators: [...new Set(records.filter((r) => r.actor.type === 'operator').map((r) => r.actor.id))].sort(),
      rules: [...new Set(records.flatMap((r) => (r.decision ? [r.decision.rule] : [])))].sort(),
    },
    ...(opts.temporalUiUrl !== undefined && { links: { temporalUi: opts.temporalUiUrl } }),
    ...(rawBodies !== undefined && { rawBodies }),
  };
}
