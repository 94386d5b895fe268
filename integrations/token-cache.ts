/**
 * A vendor access token (OAuth2 client credentials, a sign-in JWT), fetched when needed, shared
 * by concurrent callers (a burst of actions fetches one token, not many), renewed before it
 * expires, and renewed once when the vendor answers 401 (revoked or expired early).
 */
import { IntegrationError } from './http';

export interface IssuedToken {
  value: string;
  /** When to fetch a new one (epoch ms). */
  renewAt: number;
}

/** Renew `marginMs` before a token of `lifetimeMs` expires, but never later than half-way. */
export function renewTime(now: number, lifetimeMs: number, marginMs: number): number {
  return now + lifetimeMs - Math.min(marginMs, lifetimeMs / 2);
}

export class TokenCache {
  private token: IssuedToken | undefined;
  private pending: Promise<IssuedToken> | undefined;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly now: () => number,
  ) {}

  /** Runs `call` with a valid token; on 401 renews once and retries. */
  async use<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.current();
    try {
      return await call(token.value);
    } catch (error) {
      if (!(error instanceof IntegrationError) || error.status !== 401) throw error;
      if (this.token === token) this.token = undefined;
      const renewed = await this.current();
      return call(renewed.value);
    }
  }

  private async current(): Promise<IssuedToken> {
    if (this.token !== undefined && this.now() < this.token.renewAt) return this.token;
    this.pending ??= this.issue()
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
