import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEventInput } from './types';

/** prev_hash of the first record (seq 1). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The chain hash of one record: SHA-256 (hex) over the previous record's hash, a newline and
 * the RFC 8785 (JCS) canonical JSON of the record with its sequence number. Including seq
 * binds each record to its position; including prevHash binds it to everything before it.
 */
export function computeRecordHash(prevHash: string, input: AuditEventInput, seq: number): string {
  const canonical = canonicalize({ seq, ...input });
  if (canonical === undefined) throw new Error('audit record cannot be canonicalized');
  return createHash('sha256').update(`${prevHash}\n${canonical}`, 'utf8').digest('hex');
}
