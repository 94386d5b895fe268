import { signBody, verifySlackSignature } from '../../src/api/slack/slack-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
// Slack's documented example request (api.slack.com/authentication/verifying-requests-from-slack).
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const TS = '1531420618';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = Number(TS) * 1000;

describe('Slack request signatures (v0)', () => {
  it('accepts Slack’s documented example', () => {
    expect(signBody(SECRET, TS, BODY)).toBe(SIGNATURE.slice(3));
    expect(
      verifySlackSignature({
        rawBody: Buffer.from(BODY),
        timestamp: TS,
        signature: SIGNATURE,
        signingSecret: SECRET,
        nowMs: AT,
      }),
    ).toEqual({ ok: true });
  });

  it('refuses a changed body, a wrong secret or a malformed signature', () => {
    const check = (body: string, secret: string, signature: string) =>
      verifySlackSignature({ rawBody: Buffer.from(body), timestamp: TS, signature, signingSecret: secret, nowMs: AT });
    expect(check(`${BODY}&x=1`, SECRET, SIGNATURE)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(BODY, 'another-secret', SIGNATURE)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(BODY, SECRET, 'v0=abc')).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses requests more than 5 minutes old (or ahead), and missing headers', () => {
    const at = (nowMs: number) =>
      verifySlackSignature({
        rawBody: Buffer.from(BODY),
        timestamp: TS,
        signature: SIGNATURE,
        signingSecret: SECRET,
        nowMs,
      });
    expect(at(AT + 299_000)).toEqual({ ok: true });
    expect(at(AT + 301_000)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(AT - 301_000)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(
      verifySlackSignature({
        rawBody: Buffer.from(BODY),
        timestamp: undefined,
        signature: SIGNATURE,
        signingSecret: SECRET,
        nowMs: AT,
      }),
    ).toEqual({ ok: false, reason: 'missing_signature' });
  });
});
