import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The local PostgreSQL (trust auth) that tests use; override with INTERLOCK_TEST_PG_URL. */
const ADMIN_URL = process.env.INTERLOCK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test file; `drop()` removes it even with open connections. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `interlock_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
