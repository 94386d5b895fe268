import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { runMigrations } from '../../src/db/migrate';
import { SERVICE_ROLE } from '../../src/db/migrations';
import { createPool } from '../../src/db/pool';
import { createTestDatabase } from './pg';

/**
 * A throwaway PostgreSQL cluster (initdb/pg_ctl, as dev mode's embedded database) that a test
 * may stop and start again on the same port, to play a database outage without touching the
 * machine's shared server.
 */
export interface PgCluster {
  /** Superuser URL (with the generated password) of the cluster's "interlock" database. */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes the cluster. */
  destroy(): Promise<void>;
}

/** `migrated`: run Interlock's migrations as the owner first (as a deployment's migrations Job
 * would), so the stack's services start on the current schema. */
export async function startPgCluster(options: { migrated?: boolean } = {}): Promise<PgCluster> {
  // Under /tmp (world-traversable): as root the server runs as the postgres user.
  const dataDir = mkdtempSync(join(tmpdir(), 'interlock-pgcluster-'));
  let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres({ dataDir });
  const port = server.port;
  if (options.migrated) {
    const owner = createPool(server.url);
    await runMigrations(owner).finally(() => owner.end());
  }
  return {
    url: server.url,
    port,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startEmbeddedPostgres({ dataDir, port });
    },
    async destroy() {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A LOGIN role that is a member of the service role, as a deployment would create for the API
 * and worker (docs/audit.md: run the service as the least-privileged role). Returns the database URL
 * with that user; `drop()` removes the login. Needs trust or the given password.
 */
export async function createServiceLogin(
  adminUrl: string,
): Promise<{ user: string; url: string; password: string; drop(): Promise<void> }> {
  const user = `interlock_svc_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}' IN ROLE ${SERVICE_ROLE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = user;
  url.password = password;
  return {
    user,
    url: url.toString(),
    password,
    async drop() {
      // Through the maintenance database: the test's database may be dropped by now.
      const maintenance = new URL(adminUrl);
      maintenance.pathname = '/postgres';
      const client = new Client({ connectionString: maintenance.toString() });
      await client.connect();
      try {
        await client.query(`DROP ROLE IF EXISTS ${user}`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A migrated test database with two pools: the owner's (the migrations' role) and a service login's. */
export interface ServiceDatabase {
  /** The database owner's URL (what the migrations ran as). */
  url: string;
  owner: Pool;
  /** A login in the least-privileged service role, as the API and worker run. */
  service: Pool;
  login: { user: string; url: string };
  /** Ends both pools, drops the database and the login. */
  drop(): Promise<void>;
}

/** A fresh database with every migration applied and a service login on it, for one test file. */
export async function migratedServiceDatabase(): Promise<ServiceDatabase> {
  const db = await createTestDatabase();
  const owner = createPool(db.url);
  try {
    await runMigrations(owner);
    const login = await createServiceLogin(db.url);
    const service = createPool(login.url);
    return {
      url: db.url,
      owner,
      service,
      login,
      async drop() {
        await service.end();
        await owner.end();
        await db.drop();
        await login.drop();
      },
    };
  } catch (error) {
    await owner.end();
    await db.drop();
    throw error;
  }
}
