import { createHmac } from 'node:crypto';
import {
  authenticateWebhook,
  constantTimeEqual,
  type SourceConfig,
  type WebhookAuthInput,
} from '../../src/intake/auth';

const TOKEN = 'splunk-token-0123456789abcdef';
const HMAC_SECRET = 'elastic-hmac-secret-fedcba9876543210';
const BASIC = { username: 'kibana', password: 'b4sic-pa55word!' };
const body = Buffer.from('{"alerts":[{"id":1}]}');

function sign(raw: Buffer, secret = HMAC_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
function auth(
  source: SourceConfig,
  headers: WebhookAuthInput['headers'] = {},
  query: Record<string, unknown> = {},
  rawBody = body,
) {
  return authenticateWebhook({ source, headers, query, rawBody });
}
/** No secret nor any presented credential may leak into a failure reason. */
function expectFailure(result: ReturnType<typeof auth>, reason: RegExp, ...mustNotContain: string[]): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(reason);
  for (const s of [TOKEN, HMAC_SECRET, BASIC.password, ...mustNotContain]) expect(result.reason).not.toContain(s);
}

const tokenSource: SourceConfig = { token: TOKEN };
const hmacSource: SourceConfig = { hmacSecret: HMAC_SECRET };
const basicSource: SourceConfig = { basicAuth: BASIC };
const allSource: SourceConfig = { token: TOKEN, hmacSecret: HMAC_SECRET, basicAuth: BASIC };

describe('authenticateWebhook', () => {
  describe('bearer token', () => {
    it('accepts the right token, scheme case-insensitive', () => {
      expect(auth(tokenSource, { authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, method: 'bearer' });
      expect(auth(tokenSource, { authorization: `bearer ${TOKEN}` })).toEqual({ ok: true, method: 'bearer' });
      expect(auth(tokenSource, { Authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, method: 'bearer' });
    });
    it('refuses a wrong, shorter, longer or prefixed token', () => {
      for (const wrong of ['nope', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
        expectFailure(auth(tokenSource, { authorization: `Bearer ${wrong}` }), /invalid bearer token/, wrong);
      }
    });
    it('refuses a bearer token on a source without one', () => {
      expectFailure(auth(hmacSource, { authorization: `Bearer ${TOKEN}` }), /token authentication is not enabled/);
    });
    it('refuses an unknown Authorization scheme', () => {
      expectFailure(auth(tokenSource, { authorization: `Token ${TOKEN}` }), /unsupported Authorization header/);
      expectFailure(auth(tokenSource, { authorization: TOKEN }), /unsupported Authorization header/);
    });
  });

  describe('query token (Splunk)', () => {
    it('accepts ?token=', () => {
      expect(auth(tokenSource, {}, { token: TOKEN })).toEqual({ ok: true, method: 'query-token' });
    });
    it('refuses a wrong, empty, repeated or non-string token', () => {
      expectFailure(auth(tokenSource, {}, { token: 'wrong-token' }), /invalid token query parameter/, 'wrong-token');
      expectFailure(auth(tokenSource, {}, { token: '' }), /empty token query parameter/);
      expectFailure(auth(tokenSource, {}, { token: [TOKEN, TOKEN] }), /more than one token query parameter/);
      expectFailure(auth(tokenSource, {}, { token: { a: TOKEN } }), /malformed token query parameter/);
    });
  });

  describe('HMAC signature', () => {
    it('accepts a signature of the raw body (hex in either case)', () => {
      expect(auth(hmacSource, { 'x-interlock-signature': sign(body) })).toEqual({ ok: true, method: 'hmac' });
      expect(
        auth(hmacSource, { 'X-Interlock-Signature': sign(body).toUpperCase().replace('SHA256', 'sha256') }),
      ).toEqual({
        ok: true,
        method: 'hmac',
      });
    });
    it('refuses a signature made with another secret or over another body', () => {
      const wrongSecret = sign(body, 'another-secret');
      expectFailure(auth(hmacSource, { 'x-interlock-signature': wrongSecret }), /does not match/, wrongSecret);
      const tampered = Buffer.from('{"alerts":[{"id":2}]}');
      expectFailure(auth(hmacSource, { 'x-interlock-signature': sign(body) }, {}, tampered), /does not match/);
    });
    it('refuses malformed signature headers', () => {
      const hex = sign(body).slice('sha256='.length);
      for (const bad of [
        hex,
        `sha1=${hex}`,
        `sha256=${hex.slice(2)}`,
        `sha256=${hex}00`,
        'sha256=zz',
        `sha256=${'g'.repeat(64)}`,
      ]) {
        expectFailure(auth(hmacSource, { 'x-interlock-signature': bad }), /malformed X-Interlock-Signature/, bad);
      }
    });
    it('refuses a signature on a source without hmacSecret', () => {
      expectFailure(auth(tokenSource, { 'x-interlock-signature': sign(body) }), /HMAC signatures are not enabled/);
    });
  });

  describe('basic auth', () => {
    it('accepts the configured user and password (password may contain ":")', () => {
      expect(auth(basicSource, { authorization: basic(BASIC.username, BASIC.password) })).toEqual({
        ok: true,
        method: 'basic',
      });
      const colonSource: SourceConfig = { basicAuth: { username: 'u', password: 'p:a:ss' } };
      expect(auth(colonSource, { authorization: basic('u', 'p:a:ss') })).toEqual({ ok: true, method: 'basic' });
    });
    it('refuses a wrong user or password, and malformed credentials', () => {
      expectFailure(
        auth(basicSource, { authorization: basic('kibana', 'wrong-pass') }),
        /invalid basic credentials/,
        'wrong-pass',
      );
      expectFailure(auth(basicSource, { authorization: basic('admin', BASIC.password) }), /invalid basic credentials/);
      expectFailure(
        auth(basicSource, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }),
        /malformed basic/,
      );
      expectFailure(auth(basicSource, { authorization: 'Basic !!!' }), /malformed basic/);
    });
    it('refuses basic auth on a source without basicAuth', () => {
      expectFailure(
        auth(tokenSource, { authorization: basic('kibana', TOKEN) }),
        /basic authentication is not enabled/,
      );
    });
  });

  describe('missing and combined credentials', () => {
    it('refuses a request without credentials, saying what is accepted', () => {
      expectFailure(
        auth(allSource),
        /no credentials presented: expected .*Bearer.*token=.*X-Interlock-Signature.*Basic/,
      );
      expectFailure(
        auth(hmacSource, { 'content-type': 'application/json', 'x-interlock-signature': undefined }),
        /no credentials presented/,
      );
    });
    it('accepts any one valid configured method and reports the strongest', () => {
      expect(auth(allSource, { authorization: `Bearer ${TOKEN}`, 'x-interlock-signature': sign(body) })).toEqual({
        ok: true,
        method: 'hmac',
      });
      expect(auth(allSource, { authorization: `Bearer ${TOKEN}` }, { token: TOKEN })).toEqual({
        ok: true,
        method: 'bearer',
      });
    });
    it('refuses when any presented credential is wrong, even if another is right', () => {
      expectFailure(
        auth(allSource, { authorization: `Bearer ${TOKEN}`, 'x-interlock-signature': sign(body, 'x') }),
        /does not match/,
      );
      expectFailure(auth(allSource, { authorization: 'Bearer nope' }, { token: TOKEN }), /invalid bearer token/);
    });
    it('refuses a credential for a method the source does not enable, even beside a valid one', () => {
      // Elastic (HMAC only) with a valid signature and a wrong or unexpected Authorization header.
      for (const authorization of ['Bearer whatever', `Bearer ${TOKEN}`, basic(BASIC.username, BASIC.password)])
        expectFailure(
          auth(hmacSource, { authorization, 'x-interlock-signature': sign(body) }),
          /(token|basic) authentication is not enabled/,
          'whatever',
        );
      expectFailure(auth(hmacSource, { 'x-interlock-signature': sign(body) }, { token: 'x' }), /token .* not enabled/);
      expectFailure(
        auth(tokenSource, { authorization: `Bearer ${TOKEN}`, 'x-interlock-signature': sign(body) }),
        /HMAC signatures are not enabled/,
      );
      expectFailure(
        auth(basicSource, { authorization: basic(BASIC.username, BASIC.password) }, { token: TOKEN }),
        /token authentication is not enabled/,
      );
    });

    it('refuses a wrong credential beside a right one, for every pair of methods', () => {
      const right: Record<string, [WebhookAuthInput['headers'], Record<string, unknown>]> = {
        hmac: [{ 'x-interlock-signature': sign(body) }, {}],
        bearer: [{ authorization: `Bearer ${TOKEN}` }, {}],
        basic: [{ authorization: basic(BASIC.username, BASIC.password) }, {}],
        'query-token': [{}, { token: TOKEN }],
      };
      const wrong: typeof right = {
        hmac: [{ 'x-interlock-signature': sign(body, 'other-secret') }, {}],
        bearer: [{ authorization: 'Bearer wrong-token' }, {}],
        basic: [{ authorization: basic(BASIC.username, 'wrong-password') }, {}],
        'query-token': [{}, { token: 'wrong-token' }],
      };
      for (const [good, [goodHeaders, goodQuery]] of Object.entries(right)) {
        expect(auth(allSource, goodHeaders, goodQuery)).toEqual({ ok: true, method: good });
        for (const [bad, [badHeaders, badQuery]] of Object.entries(wrong)) {
          // Bearer and basic share the one Authorization header, so they cannot be presented together.
          if (good === bad || ('authorization' in goodHeaders && 'authorization' in badHeaders)) continue;
          const result = auth(allSource, { ...goodHeaders, ...badHeaders }, { ...goodQuery, ...badQuery });
          expectFailure(result, /does not match|invalid/, 'wrong-token', 'wrong-password');
        }
      }
    });
  });

  describe('header arrays', () => {
    it('accepts a single-element array', () => {
      expect(auth(tokenSource, { authorization: [`Bearer ${TOKEN}`] })).toEqual({ ok: true, method: 'bearer' });
      expect(auth(hmacSource, { 'x-interlock-signature': [sign(body)] })).toEqual({ ok: true, method: 'hmac' });
    });
    it('refuses repeated credential headers as ambiguous', () => {
      expectFailure(
        auth(tokenSource, { authorization: [`Bearer ${TOKEN}`, 'Bearer other'] }),
        /more than one Authorization header/,
      );
      expectFailure(
        auth(hmacSource, { 'x-interlock-signature': [sign(body), sign(body)] }),
        /more than one X-Interlock-Signature/,
      );
      expectFailure(
        auth(tokenSource, { authorization: `Bearer ${TOKEN}`, Authorization: 'Bearer x' }),
        /more than one Authorization/,
      );
    });
    it('refuses an empty header or an empty array as no credential', () => {
      expectFailure(auth(tokenSource, { authorization: '  ' }), /empty Authorization header/);
      expectFailure(auth(tokenSource, { authorization: [] }), /no credentials presented/);
    });
  });
});

describe('constantTimeEqual', () => {
  it('compares strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
    expect(constantTimeEqual(Buffer.from('x'), 'x')).toBe(true);
  });
});
