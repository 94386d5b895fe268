/**
 * Verifies an exported chain segment without the database: the incident export (JSON or CSV)
 * or the evidence bundle. Used by the CLI (`interlock verify-export <file>`) and by the API to
 * put its own verdict into the evidence bundle.
 */
import { z } from 'zod';
import { auditEventInputSchema, describeIssues } from './audit-schema';
import { GENESIS_HASH, computeRecordHash } from './hash';
import type { AuditEventInput, AuditRecord } from './types';

/** A record of the chain that is not part of the exported incident: its hashes only. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface OfflineVerifyResult {
  ok: boolean;
  /** Records whose content hash was recomputed. */
  checked: number;
  /** Chain links (other incidents' records) checked between them. */
  linksChecked: number;
  /** true when the export carried every link from the first to the last record's seq. */
  contiguous: boolean;
  firstSeq?: number;
  lastSeq?: number;
  firstBroken?: { seq: number; reason: string; idempotencyKey?: string };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const chainLinkSchema = z.object({ seq: z.number().int().positive(), prevHash: hex64, hash: hex64 });
const exportedRecordSchema = z.looseObject({ seq: z.number().int().positive(), prevHash: hex64, hash: hex64 });
/** The JSON export and the evidence bundle share these members. */
const exportDocumentSchema = z.looseObject({
  records: z.array(exportedRecordSchema).min(1),
  chainLinks: z.array(chainLinkSchema).optional(),
});

function contentOf(record: Record<string, unknown>): AuditEventInput {
  const { seq: _seq, prevHash: _prev, hash: _hash, ...content } = record;
  const parsed = auditEventInputSchema.safeParse(content);
  if (!parsed.success) throw new Error(`not an audit record: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * 1. every record's hash is recomputed from its content, seq and prevHash;
 * 2. records and links, merged in seq order, link up: each prevHash is the previous hash
 *    (only where seqs are adjacent when the export has no links, as CSV);
 * 3. with links: no seq is missing between the first and the last record.
 */
export function verifySegment(records: AuditRecord[], links?: ChainLink[]): OfflineVerifyResult {
  const entries = [
    ...records.map((r) => ({ seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r })),
    ...(links ?? []).map((l) => ({ ...l, record: undefined })),
  ].sort((a, b) => a.seq - b.seq);
  const result: OfflineVerifyResult = {
    ok: true,
    checked: 0,
    linksChecked: 0,
    contiguous: links !== undefined,
    ...(entries[0] && { firstSeq: entries[0].seq }),
    ...(entries.at(-1) && { lastSeq: entries.at(-1)?.seq }),
  };
  const fail = (seq: number, reason: string, record?: AuditRecord): OfflineVerifyResult => ({
    ...result,
    ok: false,
    firstBroken: { seq, reason, ...(record && { idempotencyKey: record.idempotencyKey }) },
  });
  let previous: { seq: number; hash: string } | undefined;
  for (const entry of entries) {
    if (previous && entry.seq === previous.seq) return fail(entry.seq, 'seq appears twice in the export', entry.record);
    if (entry.record) {
      result.checked++;
      let content: AuditEventInput;
      try {
        content = contentOf(entry.record as unknown as Record<string, unknown>);
      } catch (error) {
        return fail(entry.seq, error instanceof Error ? error.message : String(error), entry.record);
      }
      if (computeRecordHash(entry.prevHash, content, entry.seq) !== entry.hash) {
        return fail(entry.seq, 'hash mismatch: the record was changed after it was written', entry.record);
      }
    } else {
      result.linksChecked++;
    }
    if (entry.seq === 1 && entry.prevHash !== GENESIS_HASH) {
      return fail(1, 'the first record of the chain does not start from the genesis hash', entry.record);
    }
    if (previous) {
      if (entry.seq !== previous.seq + 1) {
        if (links !== undefined) {
          return fail(
            entry.seq,
            `seq gap: ${previous.seq + 1}..${entry.seq - 1} missing from the export`,
            entry.record,
          );
        }
      } else if (entry.prevHash !== previous.hash) {
        return fail(entry.seq, 'prev_hash does not match the hash of the previous record', entry.record);
      }
    }
    previous = { seq: entry.seq, hash: entry.hash };
  }
  return result;
}

/** A JSON export ({records, chainLinks?}) or evidence bundle. */
export function verifyJsonExport(document: unknown): OfflineVerifyResult {
  const parsed = exportDocumentSchema.safeParse(document);
  if (!parsed.success) throw new Error(`not an Interlock audit export: ${describeIssues(parsed.error)}`);
  return verifySegment(parsed.data.records as unknown as AuditRecord[], parsed.data.chainLinks);
}

/** RFC 4180 CSV (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The CSV export: its `record` column holds each record's full content. */
export function verifyCsvExport(text: string): OfflineVerifyResult {
  const [header, ...rows] = parseCsv(text);
  const column = (name: string): number => {
    const index = header?.indexOf(name) ?? -1;
    if (index < 0) throw new Error(`not an Interlock audit CSV export: no "${name}" column`);
    return index;
  };
  const [seqAt, prevAt, hashAt, recordAt] = [column('seq'), column('prevHash'), column('hash'), column('record')];
  if (rows.length === 0) throw new Error('the CSV export holds no records');
  const records = rows.map((cells, i) => {
    const seq = Number(cells[seqAt]);
    if (!Number.isSafeInteger(seq) || seq <= 0) throw new Error(`CSV row ${i + 2}: seq is not a positive integer`);
    let content: unknown;
    try {
      content = JSON.parse(cells[recordAt] ?? '');
    } catch {
      throw new Error(`CSV row ${i + 2}: the record column is not JSON`);
    }
    return { ...(content as object), seq, prevHash: cells[prevAt] ?? '', hash: cells[hashAt] ?? '' } as AuditRecord;
  });
  return verifySegment(records);
}

/** Recognises JSON (export or evidence bundle) or CSV by the first character. */
export function verifyExportText(text: string): OfflineVerifyResult {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch {
      throw new Error('the file starts like JSON but is not valid JSON');
    }
    return verifyJsonExport(document);
  }
  return verifyCsvExport(text);
}
