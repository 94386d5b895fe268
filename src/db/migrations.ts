/**
 * Schema migrations, applied in `version` order, each exactly once (see migrate.ts). They
 * live in TypeScript rather than .sql files so the compiled dist needs no asset copying.
 * Never edit a released migration: add a new one.
 */
import { ADVISORY_LOCK_KEYS } from './advisory-locks';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const initialSchema = `
CREATE TABLE audit_events (
  seq             bigint PRIMARY KEY CHECK (seq > 0),
  idempotency_key text NOT NULL UNIQUE,
  time            timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  incident_id     text NOT NULL,
  event_type      text NOT NULL,
  record          jsonb NOT NULL,
  prev_hash       text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash            text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_events_incident_id_idx ON audit_events (incident_id, seq);

-- Append-only: the application role never needs UPDATE, DELETE or TRUNCATE. Someone able to
-- disable this trigger can still edit rows, which is what the hash chain then exposes.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'raise_exception',
          HINT = 'Audit records cannot be changed or removed; append a new event instead.';
END;
$$;
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

CREATE TABLE approvals (
  id                 text PRIMARY KEY,
  incident_id        text NOT NULL,
  workflow_id        text NOT NULL,
  playbook_id        text NOT NULL,
  step_id            text NOT NULL,
  action             jsonb NOT NULL,
  target             jsonb,
  decision           jsonb,
  required_approvals integer NOT NULL CHECK (required_approvals >= 1),
  required_roles     text[] NOT NULL DEFAULT '{}',
  requested_by       text NOT NULL,
  action_digest      text NOT NULL,
  status             text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  decisions          jsonb NOT NULL DEFAULT '[]',
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  decided_at         timestamptz
);
CREATE INDEX approvals_status_expires_at_idx ON approvals (status, expires_at);
CREATE INDEX approvals_incident_id_idx ON approvals (incident_id);

CREATE TABLE action_ledger (
  idempotency_key text PRIMARY KEY,
  action_type     text NOT NULL,
  status          text NOT NULL DEFAULT 'succeeded' CHECK (status IN ('succeeded')),
  result          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
`;

/** Slack and email delivery state, so a retried notification activity posts or sends once. */
const notificationDeliveries = `
CREATE TABLE slack_approval_messages (
  approval_id text PRIMARY KEY,
  channel     text NOT NULL,
  ts          text NOT NULL,
  expires_at  timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'pending',
  votes       jsonb NOT NULL DEFAULT '[]',
  posted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE notification_deliveries (
  delivery_key text PRIMARY KEY,
  delivered_at timestamptz NOT NULL DEFAULT now()
);
-- Signed Slack requests already handled: a byte-identical replay inside the 5-minute window is refused.
CREATE TABLE slack_request_replays (
  signature text PRIMARY KEY,
  seen_at   timestamptz NOT NULL DEFAULT now()
);
`;

/** The role the API and worker connect as (through a LOGIN role that is a member of it). */
export const SERVICE_ROLE = 'interlock_app';

/**
 * Least privilege (ot-safety.md rule 16): the service role may only INSERT and SELECT audit
 * rows, and only read schema_migrations; the trigger still refuses UPDATE/DELETE/TRUNCATE for
 * everyone else, and only the table owner can disable it. Roles are cluster-wide, so the role
 * may already exist (another database, or a concurrent migration). A migrating user without
 * CREATEROLE skips the role with a notice; a DBA then creates it (docs/audit.md,
 * "Least-privilege database role"). Default privileges give tables of later migrations ordinary DML: a later
 * append-only table must REVOKE explicitly, as audit_events does here.
 */
const serviceRoleLeastPrivilege = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    BEGIN
      CREATE ROLE ${SERVICE_ROLE} NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create role ${SERVICE_ROLE} (no CREATEROLE): create it, then re-run the grants';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT USAGE ON SCHEMA public TO ${SERVICE_ROLE};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${SERVICE_ROLE};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${SERVICE_ROLE};
    REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ${SERVICE_ROLE};
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM ${SERVICE_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${SERVICE_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${SERVICE_ROLE};
  END IF;
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM PUBLIC;
`;

/** Rule 14: one row per automatic containment, counted per playbook run and per hour. */
const blastRadius = `
CREATE TABLE automatic_containments (
  key         text PRIMARY KEY,
  workflow_id text NOT NULL,
  action_type text NOT NULL,
  target      text NOT NULL,
  reserved_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automatic_containments_reserved_at_idx ON automatic_containments (reserved_at);
CREATE INDEX automatic_containments_workflow_id_idx ON automatic_containments (workflow_id);
`;

/** The transaction-local setting `interlock prune-audit` sets to let its DELETE through. */
export const AUDIT_PRUNE_SETTING = 'interlock.audit_prune';

/**
 * Retention (CIP-007 R4): `interlock prune-audit`, run as the table owner, removes records older
 * than `audit.retention`. It first writes a checkpoint (the last removed record's seq and hash),
 * from which verification then starts. The append-only trigger lets a DELETE through only when
 * all of these hold: the transaction set AUDIT_PRUNE_SETTING, the current user has the table
 * owner's privileges, and the row is covered by a checkpoint. The service role has no DELETE
 * privilege at all, and may only read checkpoints, which are append-only like the records.
 */
const auditRetention = `
CREATE TABLE audit_checkpoints (
  seq          bigint PRIMARY KEY CHECK (seq > 0),
  hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  pruned_count bigint NOT NULL CHECK (pruned_count > 0),
  cutoff       timestamptz NOT NULL,
  last_time    timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE audit_checkpoints IS
  'Retention checkpoints: seq and hash of the last pruned audit record; verification starts after the latest one.';

CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP USING ERRCODE = 'raise_exception';
END;
$$;
CREATE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change();

CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Nested IFs: OLD is not a row in the statement-level TRUNCATE trigger.
  IF TG_OP = 'DELETE' AND current_setting('${AUDIT_PRUNE_SETTING}', true) = 'on' THEN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
       AND OLD.seq <= (SELECT max(seq) FROM audit_checkpoints) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'raise_exception',
          HINT = 'Audit records cannot be changed or removed; append a new event instead.';
END;
$$;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_checkpoints FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT SELECT ON audit_checkpoints TO ${SERVICE_ROLE};
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_checkpoints FROM ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/**
 * The action ledger records intent before a vendor call and the outcome after it: a row in
 * status 'intent' (target, action digest, start time; no result) is an attempt whose outcome
 * is unknown. `recovered` marks an outcome found by reading the vendor's state afterwards.
 */
const actionLedgerIntent = `
ALTER TABLE action_ledger DROP CONSTRAINT IF EXISTS action_ledger_status_check;
ALTER TABLE action_ledger ALTER COLUMN result DROP NOT NULL;
ALTER TABLE action_ledger
  ADD COLUMN target        text,
  ADD COLUMN action_digest text,
  ADD COLUMN started_at    timestamptz,
  ADD COLUMN completed_at  timestamptz,
  ADD COLUMN recovered     boolean NOT NULL DEFAULT false;
ALTER TABLE action_ledger
  ADD CONSTRAINT action_ledger_status_check CHECK (status IN ('intent', 'succeeded')),
  ADD CONSTRAINT action_ledger_outcome_check CHECK ((status = 'intent') = (result IS NULL));
`;

/**
 * Console sessions (docs/console.md): only the SHA-256 of the session token is stored, so a
 * read of this table signs no one in. The service role reads, creates, touches and ends
 * sessions: ordinary DML, granted explicitly (default privileges belong to whoever ran
 * migration 3, not necessarily to the user running this one).
 */
const consoleSessions = `
CREATE TABLE console_sessions (
  token_sha256  text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  operator_id   text NOT NULL,
  operator_name text NOT NULL,
  roles         text[] NOT NULL,
  method        text NOT NULL CHECK (method IN ('api-key', 'oidc')),
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires_at_idx ON console_sessions (expires_at);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON console_sessions TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/** The function the worker's scheduled retention prunes through (src/audit/retention.ts). */
export const AUDIT_PRUNE_FUNCTION = 'interlock_prune_audit';

/**
 * Scheduled retention without owner credentials in the worker: the service role may EXECUTE
 * this SECURITY DEFINER function (it runs with the owner's rights), which removes only what
 * `interlock prune-audit` would — the oldest records up to `p_last_seq`, contiguous after the
 * latest checkpoint, every one older than `p_cutoff`, itself at least 90 days back (CIP-007 R4) —
 * and always writes the checkpoint first. The caller verifies the chain up to `p_last_seq` and
 * names its hash, in the same transaction under the chain lock; the function checks the hash
 * and the lock. Nothing else about audit_events changes for the service role.
 */
const auditPruneFunction = `
CREATE FUNCTION ${AUDIT_PRUNE_FUNCTION}(p_last_seq bigint, p_hash text, p_cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  start_seq bigint;
  removed bigint;
  expected bigint;
BEGIN
  IF p_cutoff > now() - interval '90 days' THEN
    RAISE EXCEPTION 'audit retention under 90 days refused (NERC CIP-007 R4)';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
                 AND ((classid::bigint << 32) | objid::bigint) = ${ADVISORY_LOCK_KEYS.auditChain}) THEN
    RAISE EXCEPTION 'prune outside the audit chain lock refused';
  END IF;
  SELECT coalesce(max(seq), 0) INTO start_seq FROM audit_checkpoints;
  expected := p_last_seq - start_seq;
  IF expected <= 0 THEN
    RAISE EXCEPTION 'nothing to prune after checkpoint %', start_seq;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = p_last_seq AND hash = p_hash) THEN
    RAISE EXCEPTION 'audit record % does not have the verified hash', p_last_seq;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_events WHERE seq > start_seq AND seq <= p_last_seq AND time >= p_cutoff) THEN
    RAISE EXCEPTION 'refusing to prune audit records inside the retention';
  END IF;
  INSERT INTO audit_checkpoints (seq, hash, pruned_count, cutoff, last_time)
    SELECT seq, hash, expected, p_cutoff, time FROM audit_events WHERE seq = p_last_seq;
  PERFORM set_config('${AUDIT_PRUNE_SETTING}', 'on', true);
  DELETE FROM audit_events WHERE seq > start_seq AND seq <= p_last_seq;
  GET DIAGNOSTICS removed = ROW_COUNT;
  PERFORM set_config('${AUDIT_PRUNE_SETTING}', 'off', true);
  IF removed <> expected THEN
    RAISE EXCEPTION 'pruning would remove % audit records, expected %: refused', removed, expected;
  END IF;
  RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION ${AUDIT_PRUNE_FUNCTION}(bigint, text, timestamptz) FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT EXECUTE ON FUNCTION ${AUDIT_PRUNE_FUNCTION}(bigint, text, timestamptz) TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial-schema', sql: initialSchema },
  { version: 2, name: 'notification-deliveries', sql: notificationDeliveries },
  { version: 3, name: 'service-role-least-privilege', sql: serviceRoleLeastPrivilege },
  { version: 4, name: 'blast-radius', sql: blastRadius },
  { version: 5, name: 'audit-retention', sql: auditRetention },
  { version: 6, name: 'action-ledger-intent', sql: actionLedgerIntent },
  { version: 7, name: 'console-sessions', sql: consoleSessions },
  { version: 8, name: 'audit-prune-function', sql: auditPruneFunction },
];
