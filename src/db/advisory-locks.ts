/**
 * Keys for pg_advisory_lock, one place so no two features collide. Advisory locks are
 * database-wide; the values spell "ilk" (Interlock) plus a feature number.
 */
export const ADVISORY_LOCK_KEYS = {
  /** Held (session level) while migrations run, so concurrent starts apply each once. */
  migrations: '6904171001',
  /** Held (transaction level) by every audit append: the chain is one global sequence. */
  auditChain: '6904171002',
  /** Seed of the per-incident case-work lock (hashtextextended(incidentId, seed), transaction level). */
  caseWork: '6904171003',
} as const;
