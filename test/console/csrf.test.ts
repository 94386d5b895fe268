import { csrfTokenFor, csrfTokenMatches, presentedCsrfToken } from '../../src/api/console/auth/csrf';
import { cookieNames, readCookie, sessionCookie } from '../../src/api/console/auth/session-cookie';

describe('console CSRF token', () => {
  it('is tied to its session and reveals nothing of it', () => {
    const a = csrfTokenFor('session-a');
    expect(a).not.toContain('session-a');
    expect(csrfTokenMatches('session-a', a)).toBe(true);
    expect(csrfTokenMatches('session-b', a)).toBe(false);
    expect(csrfTokenMatches('session-a', `${a}x`)).toBe(false);
    expect(csrfTokenMatches('session-a', '')).toBe(false);
    expect(csrfTokenMatches('session-a', undefined)).toBe(false);
    expect(csrfTokenMatches('session-a', [a])).toBe(false);
  });

  it('is read from the X-CSRF-Token header, else the _csrf form field', () => {
    expect(presentedCsrfToken({ 'x-csrf-token': 'h' }, { _csrf: 'f' })).toBe('h');
    expect(presentedCsrfToken({}, { _csrf: 'f' })).toBe('f');
    expect(presentedCsrfToken({}, undefined)).toBeUndefined();
  });
});

describe('console session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, and Secure with the __Host- prefix over https', () => {
    expect(sessionCookie(cookieNames('http://localhost:3000'), 't')).toBe(
      'interlock_session=t; Path=/; HttpOnly; SameSite=Strict',
    );
    expect(sessionCookie(cookieNames('https://soar.example.net'), 't')).toBe(
      '__Host-interlock_session=t; Path=/; HttpOnly; SameSite=Strict; Secure',
    );
  });

  it('reads one cookie from a Cookie header', () => {
    expect(readCookie('a=1; interlock_session=abc; b=2', 'interlock_session')).toBe('abc');
    expect(readCookie('xinterlock_session=abc', 'interlock_session')).toBeUndefined();
    expect(readCookie(undefined, 'interlock_session')).toBeUndefined();
  });
});
