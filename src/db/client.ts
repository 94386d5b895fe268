import type { Pool, PoolClient } from 'pg';

/** A client checked out of the pool, guarded against its connection dying while in use. */
export interface CheckedOutClient {
  client: PoolClient;
  /** Returns the client to the pool, or destroys it when `error` is given or its connection died. */
  release: (error?: Error) => void;
}

/**
 * Checks a client out of the pool. pg-pool listens for connection errors only on idle
 * clients: a checked-out client whose connection dies (PostgreSQL stopped, network cut)
 * emits an unhandled 'error' event, which would crash the process. This listener keeps the
 * process up; the failure still reaches the caller through its next query, and the client
 * is destroyed instead of going back to the pool.
 */
export async function checkOut(pool: Pool): Promise<CheckedOutClient> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  return {
    client,
    release(error?: Error) {
      client.off('error', onError);
      client.release(error ?? lost);
    },
  };
}
