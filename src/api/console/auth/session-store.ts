import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuthenticatedOperator } from '../../auth/operator-directory';

export type SignInMethod = 'api-key' | 'oidc';

export interface ConsoleSession {
  operator: AuthenticatedOperator;
  method: SignInMethod;
  createdAt: Date;
  lastSeenAt: Date;
  /** The absolute end; the session ends earlier when idle for the idle timeout. */
  expiresAt: Date;
  /** When the session ends if unused from now: min(last seen + idle timeout, absolute end). */
  idleExpiresAt: Date;
}

export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 random bits, base64url: the cookie value. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Console sessions in PostgreSQL, keyed by the SHA-256 of their token (a leaked table row
 * signs no one in). Idle and absolute timeouts are checked on every lookup against `now`
 * (injected: tests move the clock); an ended session is deleted when found.
 */
export class ConsoleSessionStore {
  /** Who waits to hear that a session ended, by token hash (the console's open event streams). */
  private readonly endWatchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly pool: Pool,
    private readonly timeouts: SessionTimeouts,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    operator: AuthenticatedOperator,
    method: SignInMethod,
  ): Promise<{ token: string; session: ConsoleSession }> {
    const token = newSessionToken();
    const now = new Date(this.now());
    const expiresAt = new Date(now.getTime() + this.timeouts.absoluteMs);
    await this.pool.query(
      `INSERT INTO console_sessions (token_sha256, operator_id, operator_name, roles, method, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
      [sha256(token), operator.id, operator.name, operator.roles, method, now, expiresAt],
    );
    return { token, session: this.view(operator, method, now, now, expiresAt) };
  }

  /**
   * The live session for a token, its idle clock restarted; undefined (and deleted) when ended.
   * `restartIdle: false` for what the page fetches by itself (the queue's live region, the
   * session check): an open tab alone must not keep a session from its idle timeout.
   */
  async touch(token: string, options: { restartIdle?: boolean } = {}): Promise<ConsoleSession | undefined> {
    const now = new Date(this.now());
    const idleCutoff = new Date(now.getTime() - this.timeouts.idleMs);
    const restartIdle = options.restartIdle ?? true;
    const { rows } = await this.pool.query<{
      operator_id: string;
      operator_name: string;
      roles: string[];
      method: SignInMethod;
      created_at: Date;
      last_seen_at: Date;
      expires_at: Date;
    }>(
      restartIdle
        ? `UPDATE console_sessions SET last_seen_at = $2
            WHERE token_sha256 = $1 AND expires_at > $2 AND last_seen_at > $3
            RETURNING operator_id, operator_name, roles, method, created_at, last_seen_at, expires_at`
        : `SELECT operator_id, operator_name, roles, method, created_at, last_seen_at, expires_at FROM console_sessions
            WHERE token_sha256 = $1 AND expires_at > $2 AND last_seen_at > $3`,
      [sha256(token), now, idleCutoff],
    );
    const row = rows[0];
    if (row === undefined) {
      await this.end(token);
      return undefined;
    }
    const operator = { id: row.operator_id, name: row.operator_name, roles: row.roles };
    return this.view(operator, row.method, row.created_at, row.last_seen_at, row.expires_at);
  }

  /**
   * Whether the session is still live, without restarting its idle clock: a long-lived
   * connection (the console's live updates) checks with this, so an open tab alone does not
   * keep a session from its idle timeout.
   */
  async alive(token: string): Promise<boolean> {
    const now = new Date(this.now());
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM console_sessions WHERE token_sha256 = $1 AND expires_at > $2 AND last_seen_at > $3',
      [sha256(token), now, new Date(now.getTime() - this.timeouts.idleMs)],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Sign-out: the token no longer opens anything. Whoever watches the session in this process hears it at once. */
  async end(token: string): Promise<void> {
    const hash = sha256(token);
    await this.pool.query('DELETE FROM console_sessions WHERE token_sha256 = $1', [hash]);
    const watchers = this.endWatchers.get(hash);
    this.endWatchers.delete(hash);
    for (const watcher of watchers ?? []) watcher();
  }

  /**
   * Calls `ended` once when this process ends the session (sign-out, or a timeout found on a
   * request); returns the function that stops watching. A session ended by another API
   * process, or timing out unseen, is found by polling `alive` instead.
   */
  onEnd(token: string, ended: () => void): () => void {
    const hash = sha256(token);
    const watchers = this.endWatchers.get(hash) ?? new Set<() => void>();
    this.endWatchers.set(hash, watchers);
    watchers.add(ended);
    return () => {
      watchers.delete(ended);
      if (watchers.size === 0 && this.endWatchers.get(hash) === watchers) this.endWatchers.delete(hash);
    };
  }

  /** Removes ended sessions (idle or past their absolute end); returns how many. */
  async sweep(): Promise<number> {
    const now = new Date(this.now());
    const result = await this.pool.query('DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [
      now,
      new Date(now.getTime() - this.timeouts.idleMs),
    ]);
    return result.rowCount ?? 0;
  }

  private view(
    operator: AuthenticatedOperator,
    method: SignInMethod,
    createdAt: Date,
    lastSeenAt: Date,
    expiresAt: Date,
  ): ConsoleSession {
    const idleEnd = lastSeenAt.getTime() + this.timeouts.idleMs;
    return {
      operator,
      method,
      createdAt,
      lastSeenAt,
      expiresAt,
      idleExpiresAt: new Date(Math.min(idleEnd, expiresAt.getTime())),
    };
  }
}
