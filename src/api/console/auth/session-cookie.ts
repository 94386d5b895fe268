/**
 * The session cookie: HttpOnly, SameSite=Strict, Path=/; Secure (and the `__Host-` prefix,
 * which browsers accept only with Secure, Path=/ and no Domain) when the console is served
 * over https.
 */
export interface CookieNames {
  session: string;
  /** The pending OIDC sign-in (state, nonce, PKCE verifier), for ten minutes. */
  oidc: string;
  secure: boolean;
}

export function cookieNames(publicUrl: string): CookieNames {
  const secure = new URL(publicUrl).protocol === 'https:';
  return {
    session: secure ? '__Host-interlock_session' : 'interlock_session',
    oidc: secure ? '__Host-interlock_oidc' : 'interlock_oidc',
    secure,
  };
}

export function sessionCookie(names: CookieNames, token: string): string {
  return `${names.session}=${token}; Path=/; HttpOnly; SameSite=Strict${names.secure ? '; Secure' : ''}`;
}

export function clearedCookie(names: CookieNames, name: string): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${names.secure ? '; Secure' : ''}`;
}

/**
 * The pending OIDC sign-in: SameSite=Lax, because the IdP's redirect back to the callback is
 * a cross-site top-level navigation, which Strict cookies do not accompany.
 */
export function oidcCookie(names: CookieNames, value: string): string {
  return `${names.oidc}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600${names.secure ? '; Secure' : ''}`;
}

/** One cookie's value from a Cookie header (the first, if repeated). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}
