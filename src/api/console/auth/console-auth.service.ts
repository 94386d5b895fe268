import type { InterlockConfig } from '../../../config/schema';
import type { Logger } from '../../../logging';
import type { AuthenticatedOperator, OperatorDirectory } from '../../auth/operator-directory';
import { csrfTokenFor } from './csrf';
import { OidcSignIn, OidcSignInError, type PendingSignIn } from './oidc-sign-in';
import { mapClaimsToOperator } from './role-mapping';
import { type CookieNames, cookieNames } from './session-cookie';
import type { ConsoleSession, ConsoleSessionStore } from './session-store';

export type SignInOutcome =
  { ok: true; token: string; session: ConsoleSession } | { ok: false; status: 401 | 403; reason: string };

/** Test hooks for the console: a movable clock and the IdP's fetch. */
export interface ConsoleAuthHooks {
  now?: () => number;
  oidcFetch?: typeof fetch;
}

/**
 * Console sign-in: an operator API key (the embedded default) or an OIDC IdP, both ending in
 * a server-side session. Refusals are logged with the reason, never with a key or token.
 */
export class ConsoleAuthService {
  readonly cookies: CookieNames;
  readonly oidc: OidcSignIn | undefined;

  /**
   * The session's operator as the configuration says now: a session outlives a restart, so an
   * operator removed since, or a role taken away, must not keep its rights. Undefined when the
   * operator is no longer configured or holds none of the session's roles any more.
   */
  currentOperator(operator: AuthenticatedOperator): AuthenticatedOperator | undefined {
    const configured = this.directory.byId(operator.id);
    if (configured === undefined) return undefined;
    const roles = operator.roles.filter((role) => configured.roles.includes(role));
    return roles.length === 0 ? undefined : { ...operator, roles };
  }

  constructor(
    private readonly config: InterlockConfig,
    private readonly directory: OperatorDirectory,
    readonly sessions: ConsoleSessionStore,
    private readonly log: Logger,
    hooks: ConsoleAuthHooks = {},
  ) {
    this.cookies = cookieNames(config.server.publicUrl);
    const oidc = config.console.oidc;
    this.oidc =
      oidc === undefined
        ? undefined
        : new OidcSignIn(oidc, oidc.redirectUri ?? new URL('/console/oidc/callback', config.server.publicUrl).href, {
            ...(hooks.now === undefined ? {} : { now: hooks.now }),
            ...(hooks.oidcFetch === undefined ? {} : { fetch: hooks.oidcFetch }),
          });
  }

  async signInWithApiKey(apiKey: unknown): Promise<SignInOutcome> {
    const operator =
      typeof apiKey === 'string' && apiKey.length > 0 && apiKey.length <= 512
        ? this.directory.authenticate(`Bearer ${apiKey}`)
        : undefined;
    if (operator === undefined) {
      this.log.warn({ method: 'api-key' }, 'console sign-in refused: unknown API key');
      return { ok: false, status: 401, reason: 'That API key does not belong to any operator.' };
    }
    return this.open(operator, 'api-key');
  }

  async signInWithOidc(callbackQuery: string, pending: PendingSignIn | undefined): Promise<SignInOutcome> {
    const oidc = this.config.console.oidc;
    if (this.oidc === undefined || oidc === undefined)
      return { ok: false, status: 403, reason: 'Sign-in with an identity provider is not configured.' };
    if (pending === undefined) {
      this.log.warn({ method: 'oidc' }, 'console sign-in refused: no pending sign-in (cookie missing or expired)');
      return { ok: false, status: 401, reason: 'This sign-in was not started here, or took too long. Start again.' };
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.oidc.finish(callbackQuery, pending);
    } catch (error) {
      const reason = error instanceof OidcSignInError ? error.message : 'the identity provider could not be reached';
      this.log.warn({ method: 'oidc', reason }, 'console sign-in refused: the identity provider answer is not valid');
      return { ok: false, status: 401, reason: `Sign-in refused: ${reason}.` };
    }
    const mapped = mapClaimsToOperator(claims, oidc, this.config.operators);
    if (!mapped.ok) {
      this.log.warn(
        { method: 'oidc', subject: claims['sub'], reason: mapped.reason, detail: mapped.detail },
        'console sign-in refused',
      );
      return {
        ok: false,
        status: 403,
        reason:
          mapped.reason === 'no-operator'
            ? 'Your identity is not an Interlock operator.'
            : 'Your identity provider grants you no Interlock role.',
      };
    }
    return this.open(mapped.operator, 'oidc');
  }

  private async open(operator: AuthenticatedOperator, method: 'api-key' | 'oidc'): Promise<SignInOutcome> {
    const { token, session } = await this.sessions.create(operator, method);
    this.log.info({ operator: operator.id, roles: operator.roles, method }, 'console sign-in');
    return { ok: true, token, session };
  }

  csrfToken(sessionToken: string): string {
    return csrfTokenFor(sessionToken);
  }
}
