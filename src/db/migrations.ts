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

/** Severities in the alert model's order (alerts/alert.ts SEVERITIES): rank 1 is the first. */
const SEVERITY_ARRAY = `ARRAY['unknown','informational','low','medium','high','critical','fatal']::text[]`;

/**
 * The incidents projection (docs/audit.md, "Incidents projection"): one row per incident, the
 * fold of its audit records, written by the audit append in the same transaction
 * (audit/incident-projection.ts), so `GET /incidents` reads rows instead of aggregating the
 * trail. The stored columns are order-independent summaries (min, max, union, the seq that set
 * a value), so merging a batch into a row is the same as folding all its records; the shown
 * values are generated from them. `incident_projection_rebuild()` recomputes every row from the
 * trail in SQL (a second, independent derivation: the tests check both agree) and backfills the
 * incidents of a database that already has records. Indexes: see docs/audit.md for the plans.
 */
const incidentsProjection = `
CREATE TABLE incidents (
  incident_id          text PRIMARY KEY,
  opened_at            timestamptz NOT NULL,
  last_event_at        timestamptz NOT NULL,
  last_seq             bigint NOT NULL,
  record_count         bigint NOT NULL,
  last_opened_seq      bigint,
  last_closed_seq      bigint,
  closed_time          timestamptz,
  alert_count          bigint NOT NULL,
  severity_rank        integer,
  title                text,
  title_seq            bigint,
  sources              text[] NOT NULL,
  zones                text[] NOT NULL,
  has_unhandled        boolean NOT NULL,
  has_playbook_started boolean NOT NULL,
  case_status_to       text,
  case_status_seq      bigint,
  assignee             text,
  assignee_seq         bigint,
  tags                 text[] NOT NULL,
  status    text GENERATED ALWAYS AS (
              CASE WHEN last_closed_seq > coalesce(last_opened_seq, 0) THEN 'closed' ELSE 'open' END) STORED,
  closed_at timestamptz GENERATED ALWAYS AS (
              CASE WHEN last_closed_seq > coalesce(last_opened_seq, 0) THEN closed_time END) STORED,
  severity  text GENERATED ALWAYS AS ((${SEVERITY_ARRAY})[severity_rank]) STORED,
  unhandled boolean GENERATED ALWAYS AS (has_unhandled AND NOT has_playbook_started) STORED,
  case_status text GENERATED ALWAYS AS (coalesce(case_status_to, 'new')) STORED
) WITH (fillfactor = 80);

-- Every equality filter of the list as one text array ('status:open', 'severity:high',
-- 'zone:…', 'source:…', 'case:triage', 'assignee:…', 'unhandled' or 'handled'): one GIN index
-- answers any combination of them by intersecting posting lists, without reading rows.
ALTER TABLE incidents ADD COLUMN facets text[] NOT NULL DEFAULT '{}';
CREATE FUNCTION incidents_facets() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.facets := ARRAY[
      'status:' || CASE WHEN NEW.last_closed_seq > coalesce(NEW.last_opened_seq, 0) THEN 'closed' ELSE 'open' END,
      'case:' || coalesce(NEW.case_status_to, 'new'),
      CASE WHEN NEW.has_unhandled AND NOT NEW.has_playbook_started THEN 'unhandled' ELSE 'handled' END]
    || CASE WHEN NEW.severity_rank IS NULL THEN '{}'::text[]
            ELSE ARRAY['severity:' || (${SEVERITY_ARRAY})[NEW.severity_rank]] END
    || CASE WHEN NEW.assignee IS NULL THEN '{}'::text[] ELSE ARRAY['assignee:' || NEW.assignee] END
    || ARRAY(SELECT 'zone:' || z FROM unnest(NEW.zones) z)
    || ARRAY(SELECT 'source:' || s FROM unnest(NEW.sources) s);
  RETURN NEW;
END;
$fn$;
CREATE TRIGGER incidents_facets BEFORE INSERT OR UPDATE ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_facets();

-- The list's order; the facets for filters. Nothing else: an append that changes no facet
-- updates its row in place (HOT), which the fillfactor leaves room for.
CREATE INDEX incidents_opened_idx ON incidents (opened_at DESC, incident_id);
CREATE INDEX incidents_facets_idx ON incidents USING gin (facets);

CREATE FUNCTION incident_projection_rebuild() RETURNS bigint
LANGUAGE sql AS $fn$
  DELETE FROM incidents;
  WITH tag_ops AS (
    SELECT DISTINCT ON (e.incident_id, t.tag) e.incident_id, t.tag, t.op
      FROM audit_events e
      CROSS JOIN LATERAL (
        SELECT a #>> '{}' AS tag, 0 AS op
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'changes'->'tags'->'added') = 'array'
                                         THEN e.record->'details'->'changes'->'tags'->'added' END) a
         WHERE jsonb_typeof(a) = 'string'
        UNION ALL
        SELECT r #>> '{}', 1
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'changes'->'tags'->'removed') = 'array'
                                         THEN e.record->'details'->'changes'->'tags'->'removed' END) r
         WHERE jsonb_typeof(r) = 'string') t
     WHERE e.event_type = 'case.updated'
     ORDER BY e.incident_id, t.tag, e.seq DESC, t.op DESC
  ), tags AS (
    SELECT incident_id, array_agg(tag ORDER BY tag) AS tags FROM tag_ops WHERE op = 0 GROUP BY incident_id
  ), unhandled_zones AS (
    SELECT e.incident_id, z #>> '{}' AS zone
      FROM audit_events e
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'zones') = 'array'
                                                   THEN e.record->'details'->'zones' END) z
     WHERE e.event_type = 'incident.unhandled' AND jsonb_typeof(z) = 'string'
  ), per_incident AS (
    SELECT e.incident_id,
           min(e.time) AS opened_at,
           max(e.time) AS last_event_at,
           max(e.seq) AS last_seq,
           count(*) AS record_count,
           max(e.seq) FILTER (WHERE e.event_type = 'incident.opened') AS last_opened_seq,
           max(e.seq) FILTER (WHERE e.event_type = 'incident.closed') AS last_closed_seq,
           max(e.time) FILTER (WHERE e.event_type = 'incident.closed') AS closed_time,
           count(*) FILTER (WHERE e.event_type IN ('alert.received', 'alert.quarantined')) AS alert_count,
           max(array_position(${SEVERITY_ARRAY}, e.record->'trigger'->>'severity')) AS severity_rank,
           (array_agg(e.record->'trigger'->>'title' ORDER BY e.seq) FILTER (WHERE e.record ? 'trigger'))[1] AS title,
           min(e.seq) FILTER (WHERE e.record ? 'trigger') AS title_seq,
           coalesce(array_agg(DISTINCT e.record->'trigger'->>'source' ORDER BY e.record->'trigger'->>'source')
                      FILTER (WHERE e.record->'trigger'->>'source' IS NOT NULL), '{}') AS sources,
           bool_or(e.event_type = 'incident.unhandled') AS has_unhandled,
           bool_or(e.event_type = 'playbook.started') AS has_playbook_started,
           (array_agg(e.record->'details'->'changes'->'status'->>'to' ORDER BY e.seq DESC)
              FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'status'))[1] AS case_status_to,
           max(e.seq) FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'status') AS case_status_seq,
           (array_agg(e.record->'details'->'changes'->'assignee'->>'to' ORDER BY e.seq DESC)
              FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'assignee'))[1] AS assignee,
           max(e.seq) FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'assignee') AS assignee_seq
      FROM audit_events e
     GROUP BY e.incident_id
  ), zones AS (
    SELECT incident_id, array_agg(DISTINCT zone ORDER BY zone) AS zones
      FROM (SELECT incident_id, record->'target'->>'zone' AS zone FROM audit_events
             WHERE record->'target'->>'zone' IS NOT NULL
            UNION ALL
            SELECT incident_id, zone FROM unhandled_zones) z
     GROUP BY incident_id
  ), inserted AS (
    INSERT INTO incidents (incident_id, opened_at, last_event_at, last_seq, record_count, last_opened_seq,
                           last_closed_seq, closed_time, alert_count, severity_rank, title, title_seq, sources,
                           zones, has_unhandled, has_playbook_started, case_status_to, case_status_seq, assignee,
                           assignee_seq, tags)
    SELECT p.incident_id, p.opened_at, p.last_event_at, p.last_seq, p.record_count, p.last_opened_seq,
           p.last_closed_seq, p.closed_time, p.alert_count, p.severity_rank, p.title, p.title_seq, p.sources,
           coalesce(z.zones, '{}'), p.has_unhandled, p.has_playbook_started, p.case_status_to, p.case_status_seq,
           p.assignee, p.assignee_seq, coalesce(t.tags, '{}')
      FROM per_incident p
      LEFT JOIN zones z USING (incident_id)
      LEFT JOIN tags t USING (incident_id)
    RETURNING 1
  )
  SELECT count(*) FROM inserted;
$fn$;
COMMENT ON FUNCTION incident_projection_rebuild() IS
  'Recomputes the incidents projection from audit_events; call with the audit chain lock held.';

SELECT incident_projection_rebuild();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON incidents TO ${SERVICE_ROLE};
    GRANT EXECUTE ON FUNCTION incident_projection_rebuild() TO ${SERVICE_ROLE};
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

/** Removes raw webhook bodies older than a cutoff (migration 10), for the service role. */
export const RAW_BODY_PRUNE_FUNCTION = 'interlock_prune_raw_bodies';

/**
 * Raw webhook bodies (docs/console.md, "Raw payloads"), content-addressed by the SHA-256 the
 * audit trail records as `trigger.rawSha256`: evidence the chain references by hash, never
 * part of it. `body` is AES-256-GCM ciphertext (IV, ciphertext, tag) when `key_id` names the
 * payload-encryption key that sealed it, else the bytes in clear; `truncated` when only the
 * first `intake.rawBodies.maxBytes` bytes of `size` were kept. The service role may read and
 * insert bodies and move `last_received_at` forward (a re-delivery keeps its body for another
 * retention period), but never change a body or delete one: deletion goes through
 * RAW_BODY_PRUNE_FUNCTION (SECURITY DEFINER), which removes the bodies last received before
 * its cutoff and refuses a cutoff less than a day back.
 */
const alertRawBodies = `
CREATE TABLE alert_raw_bodies (
  sha256           text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  source           text NOT NULL,
  received_at      timestamptz NOT NULL,
  last_received_at timestamptz NOT NULL,
  size             integer NOT NULL CHECK (size > 0),
  truncated        boolean NOT NULL,
  key_id           text,
  body             bytea NOT NULL
);
CREATE INDEX alert_raw_bodies_last_received_at_idx ON alert_raw_bodies (last_received_at);
COMMENT ON TABLE alert_raw_bodies IS
  'Raw webhook bodies by SHA-256 (audit trigger.rawSha256); body encrypted with key_id when set. Pruned by ${RAW_BODY_PRUNE_FUNCTION}.';

CREATE FUNCTION ${RAW_BODY_PRUNE_FUNCTION}(p_cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  removed bigint;
BEGIN
  IF p_cutoff IS NULL OR p_cutoff > now() - interval '1 day' THEN
    RAISE EXCEPTION 'raw body retention under 1 day refused';
  END IF;
  DELETE FROM alert_raw_bodies WHERE last_received_at < p_cutoff;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION ${RAW_BODY_PRUNE_FUNCTION}(timestamptz) FROM PUBLIC;
REVOKE ALL ON alert_raw_bodies FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    REVOKE ALL ON alert_raw_bodies FROM ${SERVICE_ROLE};
    GRANT SELECT, INSERT ON alert_raw_bodies TO ${SERVICE_ROLE};
    GRANT UPDATE (last_received_at) ON alert_raw_bodies TO ${SERVICE_ROLE};
    GRANT EXECUTE ON FUNCTION ${RAW_BODY_PRUNE_FUNCTION}(timestamptz) TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/** The columns of an incidents-projection delta (audit/incident-projection.ts IncidentDelta). */
const DELTA_COLUMNS = `incident_id text, opened_at timestamptz, last_event_at timestamptz, last_seq bigint,
  record_count bigint, last_opened_seq bigint, last_closed_seq bigint, closed_time timestamptz, alert_count bigint,
  severity_rank integer, title text, title_seq bigint, sources text[], zones text[], has_unhandled boolean,
  has_playbook_started boolean, case_status_to text, case_status_seq bigint, assignee text, assignee_seq bigint,
  tags_added text[], tags_removed text[]`;

/** A sorted set union (arrays stored sorted in the database's collation, as the rebuild does). */
const union = (a: string, b: string) =>
  `CASE WHEN cardinality(${b}) = 0 THEN ${a} ELSE ARRAY(SELECT DISTINCT x FROM unnest(${a} || ${b}) x ORDER BY 1) END`;

/** The append function of migration 11 (dropped by migration 13 for AUDIT_APPEND_FUNCTION). */
const AUDIT_APPEND_FUNCTION_V1 = 'interlock_audit_append';

/**
 * The audit append in one statement (docs/audit.md, "Appending"): takes the chain lock, and
 * only then reads what the lock's previous holder committed (each statement of a plpgsql
 * function takes a new snapshot), so no client round trip happens while the lock is held.
 *
 * The caller sends each new record's canonical JSON split around its seq, since the seq is only
 * known under the lock: `p_parts` is before-seq, newline, after-seq, newline, ... (canonical
 * JSON escapes every control character, so a raw newline only ever separates parts). The chain
 * hash is SHA-256 over prev_hash, a newline and `before || seq || after` (UTF-8), as
 * audit/hash.ts computes it, and the caller re-derives each returned hash before answering. The
 * stored record is that JSON without the seq, and the indexed columns are read from it.
 * When any key already has a record the function writes nothing and returns those records
 * (`o_existing`): the caller drops them from the group and calls again. Otherwise it inserts
 * the rows at head+1.. and merges the group's per-incident deltas into the incidents
 * projection (the same merge as migration 8 describes), the deltas' seqs being relative to
 * the head (1 = the group's first record).
 */
const auditAppendFunction = `
CREATE FUNCTION ${AUDIT_APPEND_FUNCTION_V1}(p_parts text, p_deltas jsonb)
RETURNS TABLE (o_seq bigint, o_idempotency_key text, o_time timestamptz, o_incident_id text, o_event_type text,
               o_record jsonb, o_prev_hash text, o_hash text, o_existing boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $fn$
DECLARE
  v_parts text[] := string_to_array(p_parts, E'\\n');
  v_n integer := coalesce(cardinality(v_parts), 0) / 2;
  v_records jsonb[];
  v_keys text[];
  v_head_seq bigint;
  v_head_hash text;
  v_prevs text[] := ARRAY[]::text[];
  v_hashes text[] := ARRAY[]::text[];
BEGIN
  IF v_n = 0 THEN RETURN; END IF;
  IF cardinality(v_parts) <> 2 * v_n THEN
    RAISE EXCEPTION 'audit append: % parts, expected two per record', cardinality(v_parts);
  END IF;
  -- Parsed before the lock: the stored record is the canonical JSON without its seq.
  v_records := ARRAY(SELECT (v_parts[2 * g.i - 1] || '0' || v_parts[2 * g.i])::jsonb - 'seq'
                       FROM generate_series(1, v_n) AS g(i) ORDER BY g.i);
  v_keys := ARRAY(SELECT r->>'idempotencyKey' FROM unnest(v_records) AS r);
  IF array_position(v_keys, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'audit append: a record without idempotencyKey';
  END IF;

  PERFORM pg_advisory_xact_lock(${ADVISORY_LOCK_KEYS.auditChain}::bigint);

  RETURN QUERY SELECT e.seq, e.idempotency_key, e.time, e.incident_id, e.event_type, e.record, e.prev_hash, e.hash, true
                 FROM audit_events e WHERE e.idempotency_key = ANY(v_keys);
  IF FOUND THEN RETURN; END IF;

  SELECT e.seq, e.hash INTO v_head_seq, v_head_hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
  IF NOT FOUND THEN
    -- Every record pruned: the chain continues from the latest retention checkpoint.
    SELECT c.seq, c.hash INTO v_head_seq, v_head_hash FROM audit_checkpoints c ORDER BY c.seq DESC LIMIT 1;
    IF NOT FOUND THEN
      v_head_seq := 0;
      v_head_hash := repeat('0', 64);
    END IF;
  END IF;

  FOR i IN 1..v_n LOOP
    v_prevs[i] := v_head_hash;
    v_head_hash := encode(sha256(convert_to(
      v_head_hash || E'\\n' || v_parts[2 * i - 1] || (v_head_seq + i)::text || v_parts[2 * i], 'UTF8')), 'hex');
    v_hashes[i] := v_head_hash;
  END LOOP;

  INSERT INTO audit_events (seq, idempotency_key, time, incident_id, event_type, record, prev_hash, hash)
  SELECT v_head_seq + r.i, r.rec->>'idempotencyKey', (r.rec->>'time')::timestamptz, r.rec->>'incidentId',
         r.rec->>'eventType', r.rec, r.prev, r.h
    FROM unnest(v_records, v_prevs, v_hashes) WITH ORDINALITY AS r(rec, prev, h, i);

  WITH delta AS (
    SELECT d.incident_id, d.opened_at, d.last_event_at, d.last_seq + v_head_seq AS last_seq, d.record_count,
           d.last_opened_seq + v_head_seq AS last_opened_seq, d.last_closed_seq + v_head_seq AS last_closed_seq,
           d.closed_time, d.alert_count, d.severity_rank, d.title, d.title_seq + v_head_seq AS title_seq,
           d.sources, d.zones, d.has_unhandled, d.has_playbook_started, d.case_status_to,
           d.case_status_seq + v_head_seq AS case_status_seq, d.assignee, d.assignee_seq + v_head_seq AS assignee_seq,
           d.tags_added, d.tags_removed
      FROM jsonb_to_recordset(p_deltas) AS d(${DELTA_COLUMNS})
  ), updated AS (
    UPDATE incidents i SET
      opened_at = least(i.opened_at, d.opened_at),
      last_event_at = greatest(i.last_event_at, d.last_event_at),
      last_seq = greatest(i.last_seq, d.last_seq),
      record_count = i.record_count + d.record_count,
      last_opened_seq = greatest(i.last_opened_seq, d.last_opened_seq),
      last_closed_seq = greatest(i.last_closed_seq, d.last_closed_seq),
      closed_time = greatest(i.closed_time, d.closed_time),
      alert_count = i.alert_count + d.alert_count,
      severity_rank = greatest(i.severity_rank, d.severity_rank),
      title = CASE WHEN i.title_seq IS NULL OR d.title_seq < i.title_seq THEN d.title ELSE i.title END,
      title_seq = least(i.title_seq, d.title_seq),
      sources = ${union('i.sources', 'd.sources')},
      zones = ${union('i.zones', 'd.zones')},
      has_unhandled = i.has_unhandled OR d.has_unhandled,
      has_playbook_started = i.has_playbook_started OR d.has_playbook_started,
      case_status_to = CASE WHEN d.case_status_seq > coalesce(i.case_status_seq, 0) THEN d.case_status_to ELSE i.case_status_to END,
      case_status_seq = greatest(i.case_status_seq, d.case_status_seq),
      assignee = CASE WHEN d.assignee_seq > coalesce(i.assignee_seq, 0) THEN d.assignee ELSE i.assignee END,
      assignee_seq = greatest(i.assignee_seq, d.assignee_seq),
      tags = CASE WHEN cardinality(d.tags_added) = 0 AND cardinality(d.tags_removed) = 0 THEN i.tags
                  ELSE ARRAY(SELECT t FROM (SELECT unnest(i.tags) EXCEPT SELECT unnest(d.tags_removed)
                                            UNION SELECT unnest(d.tags_added)) AS x(t) ORDER BY 1) END
      FROM delta d
     WHERE i.incident_id = d.incident_id
    RETURNING i.incident_id
  )
  INSERT INTO incidents (incident_id, opened_at, last_event_at, last_seq, record_count, last_opened_seq,
                           last_closed_seq, closed_time, alert_count, severity_rank, title, title_seq, sources, zones,
                           has_unhandled, has_playbook_started, case_status_to, case_status_seq, assignee,
                           assignee_seq, tags)
    SELECT d.incident_id, d.opened_at, d.last_event_at, d.last_seq, d.record_count, d.last_opened_seq,
           d.last_closed_seq, d.closed_time, d.alert_count, d.severity_rank, d.title, d.title_seq,
           ARRAY(SELECT DISTINCT x FROM unnest(d.sources) x ORDER BY 1),
           ARRAY(SELECT DISTINCT x FROM unnest(d.zones) x ORDER BY 1),
           d.has_unhandled, d.has_playbook_started, d.case_status_to, d.case_status_seq, d.assignee, d.assignee_seq,
           ARRAY(SELECT DISTINCT x FROM unnest(d.tags_added) x ORDER BY 1)
      FROM delta d
     WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.incident_id = d.incident_id);

  RETURN QUERY SELECT v_head_seq + r.i, NULL::text, NULL::timestamptz, NULL::text, NULL::text, NULL::jsonb,
                      r.prev, r.h, false
                 FROM unnest(v_prevs, v_hashes) WITH ORDINALITY AS r(prev, h, i);
END;
$fn$;

-- The list's order index carries the facets, so walking it past rows that a filter or an offset
-- skips is an index-only scan (docs/audit.md, "Incidents projection"). facets is already indexed
-- (GIN): an update that changes no facet stays HOT.
CREATE INDEX incidents_opened_facets_idx ON incidents (opened_at DESC, incident_id) INCLUDE (facets);
DROP INDEX incidents_opened_idx;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT EXECUTE ON FUNCTION ${AUDIT_APPEND_FUNCTION_V1}(text, jsonb) TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/**
 * GET /approvals?status=pending in one indexed query (docs/benchmarks.md#parked-incidents): the
 * enforcement point the list's descriptions need is kept on the row (it was read from each
 * request's audit record, a second query detoasting a record per row), filled for the rows
 * already there from those records, and pending rows are read in list order from a partial
 * index rather than all sorted on every page.
 */
const approvalsPendingList = `
ALTER TABLE approvals ADD COLUMN enforcement_point text;
UPDATE approvals a SET enforcement_point = coalesce(e.record->'action'->>'enforcementPoint', '')
  FROM audit_events e WHERE e.idempotency_key = a.id || ':requested';
CREATE INDEX approvals_pending_created_at_idx ON approvals (created_at, id) WHERE status = 'pending';
`;

/** The function every audit append calls since migration 13 (src/audit/audit-store.ts). */
export const AUDIT_APPEND_FUNCTION = 'interlock_audit_append_v2';

/** The columns of an incidents-projection delta since migration 13 (IncidentDelta). */
const DELTA_COLUMNS_V2 = `incident_id text, opened_at timestamptz, last_event_at timestamptz, record_count bigint,
  last_opened_no bigint, last_closed_no bigint, closed_time timestamptz, alert_count bigint, severity_rank integer,
  title text, title_no bigint, sources text[], zones text[], has_unhandled boolean, has_playbook_started boolean,
  case_status_to text, case_status_no bigint, assignee text, assignee_no bigint, tags_added text[],
  tags_removed text[]`;

/**
 * The incidents projection merged before the chain lock (docs/audit.md, "Appending"): the lock
 * is held only to read the head, hash and insert the records, and through the commit.
 *
 * The projection's order keys were chain seqs, known only under the lock; they become each
 * incident's record numbers (1 = its first record; `record_count` is the last one), known once
 * the incident's row is locked: an append merges its deltas into the rows first — one upsert
 * in incident-id order, so two appends sharing incidents cannot deadlock — and only then takes
 * the chain lock. Both are held to the commit, so of two appends sharing an incident the second
 * merges only after the first committed, and its records get the later seqs as well as the
 * later numbers: number order is seq order within every incident, and the rebuild (row_number()
 * over the incident's records by seq) derives the same rows. `last_seq` (no reader) goes: it is
 * only known under the lock. Whoever takes the chain lock and then writes incidents (the
 * rebuild, pruning) must lock the incidents table first (SHARE ROW EXCLUSIVE), or it would wait
 * for an appender that waits for it.
 *
 * The function changes name: a process still running the code of migration 11 computes the old
 * deltas, and fails (and retries) rather than merging them wrongly.
 */
const auditAppendProjectionFirst = `
DROP FUNCTION interlock_audit_append(text, jsonb);

ALTER TABLE incidents RENAME COLUMN last_opened_seq TO last_opened_no;
ALTER TABLE incidents RENAME COLUMN last_closed_seq TO last_closed_no;
ALTER TABLE incidents RENAME COLUMN title_seq TO title_no;
ALTER TABLE incidents RENAME COLUMN case_status_seq TO case_status_no;
ALTER TABLE incidents RENAME COLUMN assignee_seq TO assignee_no;
ALTER TABLE incidents DROP COLUMN last_seq;

CREATE OR REPLACE FUNCTION incidents_facets() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.facets := ARRAY[
      'status:' || CASE WHEN NEW.last_closed_no > coalesce(NEW.last_opened_no, 0) THEN 'closed' ELSE 'open' END,
      'case:' || coalesce(NEW.case_status_to, 'new'),
      CASE WHEN NEW.has_unhandled AND NOT NEW.has_playbook_started THEN 'unhandled' ELSE 'handled' END]
    || CASE WHEN NEW.severity_rank IS NULL THEN '{}'::text[]
            ELSE ARRAY['severity:' || (${SEVERITY_ARRAY})[NEW.severity_rank]] END
    || CASE WHEN NEW.assignee IS NULL THEN '{}'::text[] ELSE ARRAY['assignee:' || NEW.assignee] END
    || ARRAY(SELECT 'zone:' || z FROM unnest(NEW.zones) z)
    || ARRAY(SELECT 'source:' || s FROM unnest(NEW.sources) s);
  RETURN NEW;
END;
$fn$;
-- An update that changes no facet's input (most appends: counts and times) skips the trigger.
DROP TRIGGER incidents_facets ON incidents;
CREATE TRIGGER incidents_facets BEFORE INSERT ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_facets();
CREATE TRIGGER incidents_facets_update BEFORE UPDATE ON incidents
  FOR EACH ROW
  WHEN ((OLD.last_opened_no, OLD.last_closed_no, OLD.case_status_to, OLD.has_unhandled, OLD.has_playbook_started,
         OLD.severity_rank, OLD.assignee, OLD.zones, OLD.sources, OLD.facets)
        IS DISTINCT FROM
        (NEW.last_opened_no, NEW.last_closed_no, NEW.case_status_to, NEW.has_unhandled, NEW.has_playbook_started,
         NEW.severity_rank, NEW.assignee, NEW.zones, NEW.sources, NEW.facets))
  EXECUTE FUNCTION incidents_facets();

CREATE OR REPLACE FUNCTION incident_projection_rebuild() RETURNS bigint
LANGUAGE sql AS $fn$
  DELETE FROM incidents;
  WITH numbered AS (
    SELECT e.seq, e.incident_id, e.time, e.event_type, e.record,
           row_number() OVER (PARTITION BY e.incident_id ORDER BY e.seq) AS no
      FROM audit_events e
  ), tag_ops AS (
    SELECT DISTINCT ON (e.incident_id, t.tag) e.incident_id, t.tag, t.op
      FROM numbered e
      CROSS JOIN LATERAL (
        SELECT a #>> '{}' AS tag, 0 AS op
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'changes'->'tags'->'added') = 'array'
                                         THEN e.record->'details'->'changes'->'tags'->'added' END) a
         WHERE jsonb_typeof(a) = 'string'
        UNION ALL
        SELECT r #>> '{}', 1
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'changes'->'tags'->'removed') = 'array'
                                         THEN e.record->'details'->'changes'->'tags'->'removed' END) r
         WHERE jsonb_typeof(r) = 'string') t
     WHERE e.event_type = 'case.updated'
     ORDER BY e.incident_id, t.tag, e.seq DESC, t.op DESC
  ), tags AS (
    SELECT incident_id, array_agg(tag ORDER BY tag) AS tags FROM tag_ops WHERE op = 0 GROUP BY incident_id
  ), unhandled_zones AS (
    SELECT e.incident_id, z #>> '{}' AS zone
      FROM numbered e
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.record->'details'->'zones') = 'array'
                                                   THEN e.record->'details'->'zones' END) z
     WHERE e.event_type = 'incident.unhandled' AND jsonb_typeof(z) = 'string'
  ), per_incident AS (
    SELECT e.incident_id,
           min(e.time) AS opened_at,
           max(e.time) AS last_event_at,
           count(*) AS record_count,
           max(e.no) FILTER (WHERE e.event_type = 'incident.opened') AS last_opened_no,
           max(e.no) FILTER (WHERE e.event_type = 'incident.closed') AS last_closed_no,
           max(e.time) FILTER (WHERE e.event_type = 'incident.closed') AS closed_time,
           count(*) FILTER (WHERE e.event_type IN ('alert.received', 'alert.quarantined')) AS alert_count,
           max(array_position(${SEVERITY_ARRAY}, e.record->'trigger'->>'severity')) AS severity_rank,
           (array_agg(e.record->'trigger'->>'title' ORDER BY e.seq) FILTER (WHERE e.record ? 'trigger'))[1] AS title,
           min(e.no) FILTER (WHERE e.record ? 'trigger') AS title_no,
           coalesce(array_agg(DISTINCT e.record->'trigger'->>'source' ORDER BY e.record->'trigger'->>'source')
                      FILTER (WHERE e.record->'trigger'->>'source' IS NOT NULL), '{}') AS sources,
           bool_or(e.event_type = 'incident.unhandled') AS has_unhandled,
           bool_or(e.event_type = 'playbook.started') AS has_playbook_started,
           (array_agg(e.record->'details'->'changes'->'status'->>'to' ORDER BY e.seq DESC)
              FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'status'))[1] AS case_status_to,
           max(e.no) FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'status') AS case_status_no,
           (array_agg(e.record->'details'->'changes'->'assignee'->>'to' ORDER BY e.seq DESC)
              FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'assignee'))[1] AS assignee,
           max(e.no) FILTER (WHERE e.event_type = 'case.updated' AND e.record->'details'->'changes' ? 'assignee') AS assignee_no
      FROM numbered e
     GROUP BY e.incident_id
  ), zones AS (
    SELECT incident_id, array_agg(DISTINCT zone ORDER BY zone) AS zones
      FROM (SELECT incident_id, record->'target'->>'zone' AS zone FROM numbered
             WHERE record->'target'->>'zone' IS NOT NULL
            UNION ALL
            SELECT incident_id, zone FROM unhandled_zones) z
     GROUP BY incident_id
  ), inserted AS (
    INSERT INTO incidents (incident_id, opened_at, last_event_at, record_count, last_opened_no, last_closed_no,
                           closed_time, alert_count, severity_rank, title, title_no, sources, zones, has_unhandled,
                           has_playbook_started, case_status_to, case_status_no, assignee, assignee_no, tags)
    SELECT p.incident_id, p.opened_at, p.last_event_at, p.record_count, p.last_opened_no, p.last_closed_no,
           p.closed_time, p.alert_count, p.severity_rank, p.title, p.title_no, p.sources, coalesce(z.zones, '{}'),
           p.has_unhandled, p.has_playbook_started, p.case_status_to, p.case_status_no, p.assignee, p.assignee_no,
           coalesce(t.tags, '{}')
      FROM per_incident p
      LEFT JOIN zones z USING (incident_id)
      LEFT JOIN tags t USING (incident_id)
    RETURNING 1
  )
  SELECT count(*) FROM inserted;
$fn$;
COMMENT ON FUNCTION incident_projection_rebuild() IS
  'Recomputes the incidents projection from audit_events; lock incidents (SHARE ROW EXCLUSIVE), then take the audit chain lock, before calling it.';

LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_KEYS.auditChain}::bigint);
SELECT incident_projection_rebuild();

CREATE FUNCTION ${AUDIT_APPEND_FUNCTION}(p_parts text, p_deltas jsonb)
RETURNS TABLE (o_seq bigint, o_idempotency_key text, o_time timestamptz, o_incident_id text, o_event_type text,
               o_record jsonb, o_prev_hash text, o_hash text, o_existing boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $fn$
DECLARE
  v_parts text[] := string_to_array(p_parts, E'\\n');
  v_n integer := coalesce(cardinality(v_parts), 0) / 2;
  v_records jsonb[];
  v_keys text[];
  v_times timestamptz[];
  v_incidents text[];
  v_types text[];
  v_tag_removals boolean := jsonb_path_exists(p_deltas, '$[*].tags_removed[0]');
  v_head_seq bigint;
  v_head_hash text;
  v_prevs text[] := ARRAY[]::text[];
  v_hashes text[] := ARRAY[]::text[];
BEGIN
  IF v_n = 0 THEN RETURN; END IF;
  IF cardinality(v_parts) <> 2 * v_n THEN
    RAISE EXCEPTION 'audit append: % parts, expected two per record', cardinality(v_parts);
  END IF;
  -- The stored record is the canonical JSON without its seq.
  v_records := ARRAY(SELECT (v_parts[2 * g.i - 1] || '0' || v_parts[2 * g.i])::jsonb - 'seq'
                       FROM generate_series(1, v_n) AS g(i) ORDER BY g.i);
  v_keys := ARRAY(SELECT r->>'idempotencyKey' FROM unnest(v_records) AS r);
  IF array_position(v_keys, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'audit append: a record without idempotencyKey';
  END IF;
  -- The indexed columns too: the insert under the lock only adds seq and hashes.
  SELECT array_agg((r->>'time')::timestamptz ORDER BY o), array_agg(r->>'incidentId' ORDER BY o),
         array_agg(r->>'eventType' ORDER BY o)
    INTO v_times, v_incidents, v_types
    FROM unnest(v_records) WITH ORDINALITY AS x(r, o);

  -- A retry: the stored records are returned, nothing is written. A key committed after this
  -- check and before the lock makes the insert below fail (unique idempotency_key): the
  -- caller sends the group again and lands here.
  RETURN QUERY SELECT e.seq, e.idempotency_key, e.time, e.incident_id, e.event_type, e.record, e.prev_hash, e.hash, true
                 FROM audit_events e WHERE e.idempotency_key = ANY(v_keys);
  IF FOUND THEN RETURN; END IF;

  -- The projection first, the rows locked in incident-id order; numbers continue the row's.
  WITH delta AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(p_deltas) AS d(${DELTA_COLUMNS_V2})
  )
  INSERT INTO incidents AS i (incident_id, opened_at, last_event_at, record_count, last_opened_no, last_closed_no,
                              closed_time, alert_count, severity_rank, title, title_no, sources, zones,
                              has_unhandled, has_playbook_started, case_status_to, case_status_no, assignee,
                              assignee_no, tags)
  SELECT d.incident_id, d.opened_at, d.last_event_at, d.record_count, d.last_opened_no, d.last_closed_no,
         d.closed_time, d.alert_count, d.severity_rank, d.title, d.title_no,
         ARRAY(SELECT DISTINCT x FROM unnest(d.sources) x ORDER BY 1),
         ARRAY(SELECT DISTINCT x FROM unnest(d.zones) x ORDER BY 1),
         d.has_unhandled, d.has_playbook_started, d.case_status_to, d.case_status_no, d.assignee, d.assignee_no,
         ARRAY(SELECT DISTINCT x FROM unnest(d.tags_added) x ORDER BY 1)
    FROM delta d
   ORDER BY d.incident_id
  ON CONFLICT (incident_id) DO UPDATE SET
    opened_at = least(i.opened_at, EXCLUDED.opened_at),
    last_event_at = greatest(i.last_event_at, EXCLUDED.last_event_at),
    record_count = i.record_count + EXCLUDED.record_count,
    last_opened_no = coalesce(i.record_count + EXCLUDED.last_opened_no, i.last_opened_no),
    last_closed_no = coalesce(i.record_count + EXCLUDED.last_closed_no, i.last_closed_no),
    closed_time = greatest(i.closed_time, EXCLUDED.closed_time),
    alert_count = i.alert_count + EXCLUDED.alert_count,
    severity_rank = greatest(i.severity_rank, EXCLUDED.severity_rank),
    title = CASE WHEN i.title_no IS NULL THEN EXCLUDED.title ELSE i.title END,
    title_no = coalesce(i.title_no, i.record_count + EXCLUDED.title_no),
    sources = ${union('i.sources', 'EXCLUDED.sources')},
    zones = ${union('i.zones', 'EXCLUDED.zones')},
    has_unhandled = i.has_unhandled OR EXCLUDED.has_unhandled,
    has_playbook_started = i.has_playbook_started OR EXCLUDED.has_playbook_started,
    case_status_to = CASE WHEN EXCLUDED.case_status_no IS NULL THEN i.case_status_to ELSE EXCLUDED.case_status_to END,
    case_status_no = coalesce(i.record_count + EXCLUDED.case_status_no, i.case_status_no),
    assignee = CASE WHEN EXCLUDED.assignee_no IS NULL THEN i.assignee ELSE EXCLUDED.assignee END,
    assignee_no = coalesce(i.record_count + EXCLUDED.assignee_no, i.assignee_no),
    tags = CASE WHEN NOT v_tag_removals AND cardinality(EXCLUDED.tags) = 0 THEN i.tags
                ELSE ARRAY(SELECT t FROM (SELECT unnest(i.tags)
                                          EXCEPT SELECT unnest(r.tags_removed) FROM delta r
                                                  WHERE r.incident_id = i.incident_id
                                          UNION SELECT unnest(EXCLUDED.tags)) AS x(t) ORDER BY 1) END;

  -- Only now the chain: the lock, then what the previous holder committed (a new snapshot).
  PERFORM pg_advisory_xact_lock(${ADVISORY_LOCK_KEYS.auditChain}::bigint);

  SELECT e.seq, e.hash INTO v_head_seq, v_head_hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
  IF NOT FOUND THEN
    -- Every record pruned: the chain continues from the latest retention checkpoint.
    SELECT c.seq, c.hash INTO v_head_seq, v_head_hash FROM audit_checkpoints c ORDER BY c.seq DESC LIMIT 1;
    IF NOT FOUND THEN
      v_head_seq := 0;
      v_head_hash := repeat('0', 64);
    END IF;
  END IF;

  FOR i IN 1..v_n LOOP
    v_prevs[i] := v_head_hash;
    v_head_hash := encode(sha256(convert_to(
      v_head_hash || E'\\n' || v_parts[2 * i - 1] || (v_head_seq + i)::text || v_parts[2 * i], 'UTF8')), 'hex');
    v_hashes[i] := v_head_hash;
  END LOOP;

  INSERT INTO audit_events (seq, idempotency_key, time, incident_id, event_type, record, prev_hash, hash)
  SELECT v_head_seq + r.i, r.k, r.t, r.inc, r.typ, r.rec, r.prev, r.h
    FROM unnest(v_keys, v_times, v_incidents, v_types, v_records, v_prevs, v_hashes)
         WITH ORDINALITY AS r(k, t, inc, typ, rec, prev, h, i);

  RETURN QUERY SELECT v_head_seq + r.i, NULL::text, NULL::timestamptz, NULL::text, NULL::text, NULL::jsonb,
                      r.prev, r.h, false
                 FROM unnest(v_prevs, v_hashes) WITH ORDINALITY AS r(prev, h, i);
END;
$fn$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    GRANT EXECUTE ON FUNCTION ${AUDIT_APPEND_FUNCTION}(text, jsonb) TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/**
 * `GET /incidents` at 100,000 incidents (docs/audit.md, "Incidents projection"; plans in
 * docs/benchmarks.md, "History at scale").
 *
 * A btree on the status, then the list's order, so `status=…`'s exact count (up to 10,000) is
 * an index-only scan stopping after 10,001 small entries and its page — at any offset or cursor
 * — walks entries that all match; a `facets @>` test read rows instead (the count of
 * `status=open`, a third of the incidents, scanned the table's wide rows). Only the status: the
 * other one-value filters are answered in time by the GIN index, and each index more is written
 * by every update that changes a facet (measured: a btree per one-value filter halved the audit
 * append rate of bench:audit, whose records change sources and severities).
 *
 * The order index again, ascending and scanned backward: new incidents open last, so their
 * entries go to the index's right end, where a page split leaves the full page full; in the
 * descending index of migration 11 they went to its left end, where splits leave pages half
 * empty (52 % leaf density measured: 49 MB where 29 MB hold the same entries). The status index
 * is ascending for the same reason (each status' new incidents go to its group's end).
 */
const incidentsFilterIndexes = `
CREATE INDEX incidents_opened_asc_facets_idx ON incidents (opened_at, incident_id DESC) INCLUDE (facets);
DROP INDEX incidents_opened_facets_idx;
CREATE INDEX incidents_status_opened_idx ON incidents (status, opened_at, incident_id DESC);
`;

/**
 * The copy ledger (src/intake/copy-ledger.ts, docs/architecture.md, "Intake storms"): identical
 * re-deliveries of an alert Temporal already holds, recorded by the API that answered them and
 * forwarded to their incident about a second later by signal-with-start. A row is one group
 * commit's deliveries of one alert to one incident; `alert` is the alert and its correlation
 * key as one Temporal payload, encoded with the API's data converter (so encrypted whenever
 * `temporal.encryption` is on). `owner` is the API process that wrote it: its forwarder takes
 * its own rows, any process those older than a short stale time (a crashed API's). Rows live
 * about a second: the service role inserts, reads, locks and deletes them, never updates them.
 */
const intakeCopies = `
CREATE TABLE intake_copies (
  id                bigserial PRIMARY KEY,
  workflow_id       text NOT NULL,
  alert_uid         text NOT NULL,
  deliveries        integer NOT NULL CHECK (deliveries > 0),
  first_received_at timestamptz NOT NULL,
  last_received_at  timestamptz NOT NULL,
  alert             bytea NOT NULL,
  owner             text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intake_copies_owner_idx ON intake_copies (owner, id);
CREATE INDEX intake_copies_created_at_idx ON intake_copies (created_at);
COMMENT ON TABLE intake_copies IS
  'Copy ledger: re-deliveries of alerts already in Temporal, waiting to be signalled to their incident (alert encoded with the Temporal data converter).';
REVOKE ALL ON intake_copies FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    REVOKE ALL ON intake_copies FROM ${SERVICE_ROLE};
    GRANT SELECT, INSERT, DELETE ON intake_copies TO ${SERVICE_ROLE};
    -- The forwarder's row locks (SELECT … FOR UPDATE) need UPDATE on a column; it never updates.
    GRANT UPDATE (owner) ON intake_copies TO ${SERVICE_ROLE};
    GRANT USAGE ON SEQUENCE intake_copies_id_seq TO ${SERVICE_ROLE};
  END IF;
END
$$;
`;

/**
 * `GET /incidents` at 100,000 incidents, deep pages and counts (docs/benchmarks.md, "History at
 * scale"): the list's order index carries each equality filter's own column instead of the
 * facets array, so walking it tests `status = …`, `severity = …`, `… = ANY(zones)` and the like
 * on small entries, where `facets @> …` compared arrays of eight or more elements. Measured on
 * that database: a page at offset 5,000 of `status=open&severity=critical` walked ~31,000
 * entries in 6 ms instead of 12–55, `zone=…` in 10 ms instead of 30, and the index is 21 MB
 * instead of 29. The facets stay, in their GIN index, for filters matching few incidents
 * (src/audit/incident-index.ts). Ascending and scanned backward, as migration 14's.
 */
const incidentsOrderFilterColumns = `
CREATE INDEX incidents_opened_filters_idx ON incidents (opened_at, incident_id DESC)
  INCLUDE (status, severity, case_status, unhandled, assignee, zones, sources);
DROP INDEX incidents_opened_asc_facets_idx;
`;

/**
 * `GET /incidents` at 100,000 incidents, one equality filter (docs/benchmarks.md, "One list per
 * facet (migration 17)"): each incident's facets (migration 11's names: `status:open`,
 * `zone:…`, `source:…`, …) as rows of their own, in one btree by facet and then the list's order.
 * A filter of one value — the most common question, "this zone", "this source" — is then the
 * slice of its own facet: its exact count up to 10,000 reads 10,001 small entries and no row,
 * and a page at any offset or cursor walks entries that all match. Before, `zone=…` had to walk
 * the order index past the incidents of every other zone (~66,000 entries to count 10,001 of a
 * zone holding one incident in six), or read them through the GIN index, a heap page each.
 *
 * Kept by triggers on incidents, in the projection's transaction, so the rebuild and pruning
 * keep it too. Only a change writes it: an update that changes no facet (most appends: counts
 * and times) fires nothing, one that does writes just the facets that changed (all of them when
 * the opening time moves). The service role reads it; the triggers write it with the owner's
 * rights (SECURITY DEFINER), so the rows cannot be set apart from the incidents they mirror.
 * Ascending and scanned backward, as migration 14's indexes.
 */
const incidentFacetLists = `
CREATE TABLE incident_facets (
  facet       text NOT NULL,
  opened_at   timestamptz NOT NULL,
  incident_id text NOT NULL
);
COMMENT ON TABLE incident_facets IS
  'The incidents projection''s facets, one row each, in list order per facet (kept by triggers on incidents).';

-- Filled before its index is built, which then packs its pages full.
LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO incident_facets (facet, opened_at, incident_id)
SELECT DISTINCT f, i.opened_at, i.incident_id FROM incidents i, unnest(i.facets) AS f;
CREATE UNIQUE INDEX incident_facets_list_idx ON incident_facets (facet, opened_at, incident_id DESC);

-- A row trigger that fires only when a row's facets (or opening time) change, and then runs one
-- statement: most appends change neither and cost nothing here. (Statement triggers with
-- transition tables measured slower: they capture every updated row, and joining the old and
-- new rows cost more than the few rows that change.)
CREATE FUNCTION incident_facets_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO incident_facets (facet, opened_at, incident_id)
    SELECT x, NEW.opened_at, NEW.incident_id FROM unnest(NEW.facets) AS x
    ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM incident_facets f
     WHERE f.facet = ANY(OLD.facets) AND f.opened_at = OLD.opened_at AND f.incident_id = OLD.incident_id;
  ELSIF OLD.opened_at = NEW.opened_at THEN
    -- The facets the row lost and those it gained (disjoint keys: one statement).
    WITH lost AS (
      DELETE FROM incident_facets f
       WHERE f.facet = ANY(OLD.facets) AND NOT f.facet = ANY(NEW.facets)
         AND f.opened_at = OLD.opened_at AND f.incident_id = OLD.incident_id)
    INSERT INTO incident_facets (facet, opened_at, incident_id)
    SELECT x, NEW.opened_at, NEW.incident_id FROM unnest(NEW.facets) AS x WHERE NOT x = ANY(OLD.facets)
    ON CONFLICT DO NOTHING;
  ELSE
    -- A record older than the opening moved it: every facet to the new time.
    WITH moved AS (
      DELETE FROM incident_facets f
       WHERE f.facet = ANY(OLD.facets) AND f.opened_at = OLD.opened_at AND f.incident_id = OLD.incident_id)
    INSERT INTO incident_facets (facet, opened_at, incident_id)
    SELECT x, NEW.opened_at, NEW.incident_id FROM unnest(NEW.facets) AS x
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END;
$fn$;
CREATE TRIGGER incident_facets_insert AFTER INSERT ON incidents
  FOR EACH ROW EXECUTE FUNCTION incident_facets_sync();
CREATE TRIGGER incident_facets_update AFTER UPDATE ON incidents
  FOR EACH ROW WHEN ((OLD.facets, OLD.opened_at) IS DISTINCT FROM (NEW.facets, NEW.opened_at))
  EXECUTE FUNCTION incident_facets_sync();
CREATE TRIGGER incident_facets_delete AFTER DELETE ON incidents
  FOR EACH ROW EXECUTE FUNCTION incident_facets_sync();
-- TRUNCATE fires no DELETE trigger: the lists follow the table.
CREATE FUNCTION incident_facets_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  TRUNCATE incident_facets;
  RETURN NULL;
END;
$fn$;
CREATE TRIGGER incident_facets_truncate AFTER TRUNCATE ON incidents
  FOR EACH STATEMENT EXECUTE FUNCTION incident_facets_truncate();


-- Migration 14's status btree served a lone status, which its facet list now answers; every
-- index on incidents is written by each update that changes a facet, so it goes.
DROP INDEX incidents_status_opened_idx;

REVOKE ALL ON incident_facets FROM PUBLIC;
REVOKE ALL ON FUNCTION incident_facets_sync() FROM PUBLIC;
REVOKE ALL ON FUNCTION incident_facets_truncate() FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    REVOKE ALL ON incident_facets FROM ${SERVICE_ROLE};
    GRANT SELECT ON incident_facets TO ${SERVICE_ROLE};
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
  { version: 8, name: 'incidents-projection', sql: incidentsProjection },
  { version: 9, name: 'audit-prune-function', sql: auditPruneFunction },
  { version: 10, name: 'alert-raw-bodies', sql: alertRawBodies },
  { version: 11, name: 'audit-append-function', sql: auditAppendFunction },
  { version: 12, name: 'approvals-pending-list', sql: approvalsPendingList },
  { version: 13, name: 'audit-append-projection-first', sql: auditAppendProjectionFirst },
  { version: 14, name: 'incidents-filter-indexes', sql: incidentsFilterIndexes },
  { version: 15, name: 'intake-copies', sql: intakeCopies },
  { version: 16, name: 'incidents-order-filter-columns', sql: incidentsOrderFilterColumns },
  { version: 17, name: 'incident-facet-lists', sql: incidentFacetLists },
];
