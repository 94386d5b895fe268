import { safeReturnPath, signInLocation } from '../../src/api/console/auth/return-to';

describe('the page to return to after sign-in', () => {
  it('keeps console paths with their query and fragment', () => {
    expect(safeReturnPath('/console/approvals/apr-1')).toBe('/console/approvals/apr-1');
    expect(safeReturnPath('/console/approvals?focus=apr-1#apr-1')).toBe('/console/approvals?focus=apr-1#apr-1');
    expect(safeReturnPath('/console')).toBe('/console');
    expect(signInLocation('/console/playbooks/s4')).toBe('/console/sign-in?next=%2Fconsole%2Fplaybooks%2Fs4');
  });

  it.each([
    'https://evil.example/console',
    '//evil.example/console',
    '/\\evil.example/console',
    '/\\/evil.example',
    'javascript:alert(1)',
    'console/approvals',
    '/incidents/inc-1',
    '/consolex/approvals',
    '/console/../incidents/inc-1',
    '/console/sign-in?next=/console',
    '/console/oidc/start',
    '/console/approvals\n/evil',
    '/console/approvals\t',
    ' /console',
    `/console/${'a'.repeat(600)}`,
  ])('refuses %j (an open redirect, another route, or a sign-in loop)', (value) => {
    expect(safeReturnPath(value)).toBeUndefined();
    expect(signInLocation(value)).toBe('/console/sign-in');
  });

  it('refuses what is not a string', () => {
    expect(safeReturnPath(undefined)).toBeUndefined();
    expect(safeReturnPath(['/console'])).toBeUndefined();
  });
});
