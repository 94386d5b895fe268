/**
 * Schema migrations, applied in `version` order, each exactly once (see migrate.ts). They
 * live in TypeScript rather than .sql files so the compiled dist needs no asset copying.
 * Never edit a released migration: add a new one.
 */
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

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial-schema', sql: initialSchema }];
