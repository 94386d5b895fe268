import { parseConfig } from '../../src/config/load';

const parse = (console: unknown) => () => parseConfig(JSON.stringify({ console }), {});

describe('console configuration', () => {
  it('defaults to 30m idle and 12h absolute session timeouts, without OIDC', () => {
    expect(parseConfig('{}', {}).console).toEqual({ session: { idleTimeout: 1_800_000, absoluteTimeout: 43_200_000 } });
  });

  it('fills the OIDC defaults', () => {
    const config = parseConfig(
      JSON.stringify({ console: { oidc: { issuer: 'https://idp.example', clientId: 'c' } } }),
      {},
    );
    expect(config.console.oidc).toEqual({
      issuer: 'https://idp.example',
      clientId: 'c',
      scopes: ['openid', 'profile', 'email'],
      roleClaim: 'groups',
      roleMap: {},
      operatorClaim: 'preferred_username',
    });
  });

  it('refuses an http issuer off loopback, scopes without openid, and an idle timeout past the absolute one', () => {
    expect(parse({ oidc: { issuer: 'http://idp.example', clientId: 'c' } })).toThrow(/https/);
    expect(parse({ oidc: { issuer: 'http://127.0.0.1:8080', clientId: 'c' } })).not.toThrow();
    expect(parse({ oidc: { issuer: 'https://idp.example', clientId: 'c', scopes: ['profile'] } })).toThrow(/openid/);
    expect(parse({ session: { idleTimeout: '13h', absoluteTimeout: '12h' } })).toThrow(/idleTimeout/);
  });
});
