import * as client from 'openid-client';
import type { ConsoleOidcConfig } from '../../../config/schema';

/** What the browser keeps (in the pending-sign-in cookie) between the redirect and the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** The console path to open after signing in (checked again by safeReturnPath when used). */
  next?: string;
}

export function encodePending(p: PendingSignIn): string {
  const parts = [p.state, p.nonce, p.verifier];
  if (p.next !== undefined) parts.push(Buffer.from(p.next, 'utf8').toString('base64url'));
  return parts.join('.');
}

export function decodePending(value: string | undefined): PendingSignIn | undefined {
  const parts = (value ?? '').split('.');
  if (parts.length !== 3 && parts.length !== 4) return undefined;
  const [state, nonce, verifier, next] = parts as [string, string, string, string | undefined];
  if ([state, nonce, verifier].some((p) => !/^[A-Za-z0-9_-]{16,128}$/.test(p))) return undefined;
  if (next !== undefined && !/^[A-Za-z0-9_-]{1,700}$/.test(next)) return undefined;
  return {
    state,
    nonce,
    verifier,
    ...(next === undefined ? {} : { next: Buffer.from(next, 'base64url').toString('utf8') }),
  };
}

/** A refused callback: the reason is safe to show and to log (no token in it). */
export class OidcSignInError extends Error {}

export interface OidcSignInOptions {
  /** The clock sessions use; the ID token's exp/iat are checked against it too. */
  now?: () => number;
  /** Replaces fetch for every IdP request (tests). */
  fetch?: typeof fetch;
}

/**
 * Authorization code + PKCE with `openid-client`: discovery from the issuer (once, retried
 * after a failure), state and nonce per sign-in, and the library's ID token validation
 * (signature, issuer, audience, expiry, nonce).
 */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly oidc: ConsoleOidcConfig,
    readonly redirectUri: string,
    private readonly options: OidcSignInOptions = {},
  ) {}

  private discover(): Promise<client.Configuration> {
    if (this.configuration === undefined) {
      const now = this.options.now ?? Date.now;
      const metadata: Partial<client.ClientMetadata> = {
        [client.clockSkew]: Math.round((now() - Date.now()) / 1000),
        ...(this.oidc.clientSecret === undefined ? {} : { client_secret: this.oidc.clientSecret }),
      };
      const issuer = new URL(this.oidc.issuer);
      const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
      this.configuration = client
        .discovery(
          issuer,
          this.oidc.clientId,
          metadata,
          this.oidc.clientSecret === undefined ? client.None() : undefined,
          {
            execute,
            ...(this.options.fetch === undefined ? {} : { [client.customFetch]: this.options.fetch }),
          },
        )
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw error;
        });
    }
    return this.configuration;
  }

  /** The IdP's authorization URL, and what the callback will need to check its answer. */
  async start(): Promise<{ url: string; pending: PendingSignIn }> {
    const configuration = await this.discover();
    const pending = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.oidc.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /** Exchanges the code and returns the validated ID token's claims; throws OidcSignInError. */
  async finish(callbackQuery: string, pending: PendingSignIn): Promise<Record<string, unknown>> {
    const configuration = await this.discover();
    const callback = new URL(this.redirectUri);
    callback.search = callbackQuery;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (claims === undefined) throw new OidcSignInError('the identity provider returned no ID token');
      return claims;
    } catch (error) {
      if (error instanceof OidcSignInError) throw error;
      throw new OidcSignInError(describe(error));
    }
  }
}

/** A short reason from openid-client's errors: never the token or the response body. */
function describe(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) return `the identity provider refused: ${error.error}`;
  if (error instanceof client.ResponseBodyError) return `the token request failed: ${error.error}`;
  if (error instanceof Error) {
    // The ID token checks name the claim that failed (aud, exp, iss, nonce…) in their cause.
    let claim: unknown;
    for (let cause: unknown = error.cause, depth = 0; claim === undefined && depth < 3; depth++) {
      claim = (cause as { claim?: unknown } | undefined)?.claim;
      cause = (cause as { cause?: unknown } | undefined)?.cause;
    }
    return `${error.message.replace(/\.$/, '').slice(0, 200)}${typeof claim === 'string' ? ` (${claim})` : ''}`;
  }
  return 'the sign-in could not be completed';
}
