/**
 * Console sign-in end to end over real HTTP: the real API (createApiApp, PostgreSQL sessions)
 * and a real OpenID Connect provider (`oidc-provider`) on loopback, driven like a browser
 * (cookies, redirects, its login and consent forms). Temporal is never called.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import Provider from 'oidc-provider';
import { createApiApp } from '../../src/api/create-app';
import type { ConsoleAuthHooks } from '../../src/api/console/auth/console-auth.service';
import { CONSOLE_PAGE_CSP } from '../../src/api/console/layout';
import { parseConfig } from '../../src/config/load';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logging';
import { servicesOn } from '../../src/runtime/services';
import { createTestDatabase } from '../support/pg';

const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
const OMAR_KEY = 'omar-console-key-0123456789';
const ALICE_KEY = 'alice-console-key-0123456789';
const SECRET = 'interlock-client-secret-0123456789';
const INTRUDER_REDIRECT = 'http://127.0.0.1:9/intruder/callback';
const GROUPS: Record<string, string[]> = { omar: ['OT Engineers', 'Everyone'], alice: ['Everyone'] };

/** A browser's cookie jar, per origin. */
class Jar {
  private readonly cookies = new Map<string, Map<string, string>>();
  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(origin, jar);
  }
  header(url: string): string {
    return [...(this.cookies.get(new URL(url).origin) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }
  get(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).origin)?.get(name);
  }
}

async function request(jar: Jar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie !== '') headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

let providerServer: Server;
let issuer: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let connection: Connection;
const apps: { app: INestApplication; close(): Promise<void> }[] = [];

/** Follows the IdP's redirects, submitting its login and consent forms as `user`, until it redirects away. */
async function authorizeAtIdp(jar: Jar, url: string, user: string): Promise<URL> {
  let next = url;
  for (let hop = 0; hop < 20; hop++) {
    if (!next.startsWith(issuer)) return new URL(next);
    const interaction = /\/interaction\/([^/?]+)$/.exec(new URL(next).pathname);
    let response: Response;
    if (interaction !== null) {
      const page = await (await request(jar, next)).text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1] ?? '';
      response = await request(
        jar,
        next,
        form(prompt === 'login' ? { prompt, login: user, password: 'x' } : { prompt }),
      );
    } else response = await request(jar, next);
    const location = response.headers.get('location');
    if (location === null) throw new Error(`IdP stopped at ${next}: ${response.status} ${await response.text()}`);
    next = new URL(location, next).href;
  }
  throw new Error('too many redirects at the IdP');
}

async function startApi(hooks: ConsoleAuthHooks): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = parseConfig(
    JSON.stringify({
      server: { port, publicUrl },
      temporal: { address, taskQueue: 'console-sign-in' },
      database: { url: db.url },
      operators: [
        { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'], apiKey: OMAR_KEY, email: 'omar@example.net' },
        { id: 'alice', name: 'Alice Moreau', roles: ['soc-analyst'], apiKey: ALICE_KEY },
      ],
      console: {
        session: { idleTimeout: '30m', absoluteTimeout: '12h' },
        oidc: {
          issuer,
          clientId: 'interlock',
          clientSecret: SECRET,
          roleClaim: 'groups',
          operatorClaim: 'preferred_username',
          roleMap: { 'OT Engineers': ['ot-engineer'], 'SOC Tier 1': ['soc-analyst'] },
        },
      },
    }),
    {},
  );
  const pool = createPool(db.url);
  const services = servicesOn(pool);
  const log = createLogger('console-test', 'silent');
  const app = await createApiApp({ config, temporal: new Client({ connection }), services, log, consoleHooks: hooks });
  await app.listen(port, '127.0.0.1');
  apps.push({ app, close: () => pool.end() });
  return publicUrl;
}

/** Sign-in through the IdP as `user`; returns the callback's response. */
async function signInWithIdp(jar: Jar, api: string, user: string, next?: string): Promise<Response> {
  const start = await request(
    jar,
    `${api}/console/oidc/start${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`,
  );
  expect(start.status).toBe(303);
  const callback = await authorizeAtIdp(jar, start.headers.get('location') ?? '', user);
  expect(callback.origin).toBe(api);
  return request(jar, callback.href);
}

let offset = 0;
let api: string;
/** An Interlock whose clock is two hours ahead: the IdP's one-hour ID tokens have expired for it. */
let ahead: string;
/** Tokens the IdP issued to another client; when set, returned for Interlock's token request. */
let substitute: string | undefined;

beforeAll(async () => {
  providerServer = createServer();
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  const owner = createPool(db.url);
  await runMigrations(owner);
  await owner.end();
  connection = Connection.lazy({ address });
  api = await startApi({
    now: () => Date.now() + offset,
    oidcFetch: async (url, init) => {
      if (substitute !== undefined && (url instanceof Request ? url.url : url.toString()).endsWith('/token'))
        return new Response(substitute, { status: 200, headers: { 'content-type': 'application/json' } });
      return fetch(url, init);
    },
  });
  ahead = await startApi({ now: () => Date.now() + 2 * 3_600_000 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'interlock',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: [`${api}/console/oidc/callback`, `${ahead}/console/oidc/callback`],
      },
      {
        client_id: 'intruder',
        client_secret: 'intruder-secret-0123456789',
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: [INTRUDER_REDIRECT],
      },
    ],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'groups'], email: ['email'] },
    // The groups travel in the ID token itself, as Entra ID and Keycloak put them there.
    conformIdTokenClaims: false,
    cookies: { keys: ['console-test-cookie-key'] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, preferred_username: sub, name: sub, groups: GROUPS[sub] ?? [] }),
    }),
  });
  providerServer.on('request', provider.callback());
}, 60_000);

afterAll(async () => {
  for (const { app, close } of apps) {
    await app.close();
    await close();
  }
  await connection?.close();
  await new Promise((resolve) => providerServer?.close(resolve));
  await db?.drop();
});

describe('console sign-in with a real OIDC provider', () => {
  it('signs in a user whose group maps to a role: /console/me shows the operator, roles and expiry', async () => {
    const jar = new Jar();
    const callback = await signInWithIdp(jar, api, 'omar');
    expect(callback.status).toBe(200);
    expect(callback.headers.getSetCookie().join('\n')).toMatch(
      /interlock_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict/,
    );
    expect(jar.get(api, 'interlock_oidc')).toBeUndefined();
    const me = await request(jar, `${api}/console/me`);
    expect(me.status).toBe(200);
    const body = (await me.json()) as { operator: unknown; method: string; expiresAt: string };
    expect(body).toMatchObject({
      operator: { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'] },
      method: 'oidc',
    });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(11 * 3_600_000);
    const landing = await request(jar, `${api}/console`);
    expect([landing.status, landing.headers.get('location')]).toEqual([303, '/console/incidents']);
    const home = await request(jar, `${api}/console/incidents`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await home.text()).toContain('Omar Haddad');
  });

  it('returns to the console page asked for before sign-in, never to another site', async () => {
    const back = await signInWithIdp(
      new Jar(),
      api,
      'omar',
      '/console/approvals/apr-00000000-0000-0000-0000-000000000001',
    );
    expect(await back.text()).toContain(
      '<meta http-equiv="refresh" content="0;url=/console/approvals/apr-00000000-0000-0000-0000-000000000001">',
    );
    const elsewhere = await signInWithIdp(new Jar(), api, 'omar', '//evil.example/console');
    expect(await elsewhere.text()).toContain('<meta http-equiv="refresh" content="0;url=/console">');
  });

  it('refuses a user without any mapped role (403 page, no session)', async () => {
    const jar = new Jar();
    const callback = await signInWithIdp(jar, api, 'alice');
    expect(callback.status).toBe(403);
    expect(callback.headers.get('content-type')).toMatch(/text\/html/);
    expect(await callback.text()).toContain('grants you no Interlock role');
    expect(jar.get(api, 'interlock_session')).toBeUndefined();
  });

  it('refuses an ID token issued to another client (wrong audience)', async () => {
    const jar = new Jar();
    const start = await request(jar, `${api}/console/oidc/start`);
    const ours = new URL(start.headers.get('location') ?? '');
    // The intruder client gets a genuine token from the same IdP, for the same user and nonce.
    const intruder = new URL(ours);
    intruder.searchParams.set('client_id', 'intruder');
    intruder.searchParams.set('redirect_uri', INTRUDER_REDIRECT);
    const verifier = 'intruder-verifier-0123456789-0123456789-0123456789';
    const { createHash } = await import('node:crypto');
    intruder.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    const idpJar = new Jar();
    const intruderCode = (await authorizeAtIdp(idpJar, intruder.href, 'omar')).searchParams.get('code') ?? '';
    const tokens = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: intruderCode,
        redirect_uri: INTRUDER_REDIRECT,
        code_verifier: verifier,
        client_id: 'intruder',
        client_secret: 'intruder-secret-0123456789',
      }).toString(),
    });
    expect(tokens.status).toBe(200);
    substitute = await tokens.text();
    try {
      const callback = await request(jar, (await authorizeAtIdp(jar, ours.href, 'omar')).href);
      const page = await callback.text();
      expect([callback.status, page]).toEqual([401, expect.stringMatching(/Sign-in refused:.*aud/)]);
      expect(jar.get(api, 'interlock_session')).toBeUndefined();
    } finally {
      substitute = undefined;
    }
  });

  it('refuses an expired ID token', async () => {
    const jar = new Jar();
    const callback = await signInWithIdp(jar, ahead, 'omar');
    expect(callback.status).toBe(401);
    expect(await callback.text()).toMatch(/Sign-in refused:.*exp/);
  });

  it('refuses a callback with a wrong state or without the pending sign-in', async () => {
    const jar = new Jar();
    const start = await request(jar, `${api}/console/oidc/start`);
    const callback = await authorizeAtIdp(jar, start.headers.get('location') ?? '', 'omar');
    callback.searchParams.set('state', 'forged-state-0123456789');
    const forged = await request(jar, callback.href);
    expect(forged.status).toBe(401);
    const noCookie = await fetch(callback.href, { redirect: 'manual' });
    expect(noCookie.status).toBe(401);
  });
});

describe('console sessions', () => {
  async function apiKeySession(key: string): Promise<Jar> {
    const jar = new Jar();
    const response = await request(jar, `${api}/console/sign-in`, form({ apiKey: key }));
    expect(response.status).toBe(200);
    return jar;
  }

  it("signs in with an operator's API key; refuses an unknown key and a cross-site form", async () => {
    const jar = await apiKeySession(OMAR_KEY);
    expect(await (await request(jar, `${api}/console/me`)).json()).toMatchObject({
      operator: { id: 'omar' },
      method: 'api-key',
    });
    const wrong = await request(new Jar(), `${api}/console/sign-in`, form({ apiKey: 'not-a-key-0123456789' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const crossSite = await request(new Jar(), `${api}/console/sign-in`, {
      ...form({ apiKey: OMAR_KEY }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
  });

  it('redirects /console to sign-in without a session, and answers 401 on /console/me', async () => {
    const page = await request(new Jar(), `${api}/console`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/sign-in');
    expect((await request(new Jar(), `${api}/console/me`)).status).toBe(401);
    const signIn = await request(new Jar(), `${api}/console/sign-in`);
    expect(await signIn.text()).toContain('/console/oidc/start');
    // The sign-in page is a console page: the console's one Content-Security-Policy, no inline style.
    expect(signIn.headers.get('content-security-policy')).toBe(CONSOLE_PAGE_CSP);
    expect(signIn.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses a state-changing request without the session CSRF token (missing, wrong, another session)', async () => {
    const jar = await apiKeySession(OMAR_KEY);
    const other = await apiKeySession(ALICE_KEY);
    const otherToken = ((await (await request(other, `${api}/console/me`)).json()) as { csrfToken: string }).csrfToken;
    for (const fields of [{}, { _csrf: 'wrong' }, { _csrf: otherToken }] as Record<string, string>[]) {
      const response = await request(jar, `${api}/console/sign-out`, form(fields));
      expect(response.status).toBe(403);
    }
    expect((await request(jar, `${api}/console/me`)).status).toBe(200);
  });

  it('signs out with the CSRF token (form field or header): the cookie no longer opens anything', async () => {
    const jar = await apiKeySession(OMAR_KEY);
    const cookie = jar.header(api);
    const { csrfToken } = (await (await request(jar, `${api}/console/me`)).json()) as { csrfToken: string };
    const out = await request(jar, `${api}/console/sign-out`, form({ _csrf: csrfToken }));
    expect(out.status).toBe(200);
    expect((await fetch(`${api}/console/me`, { headers: { cookie } })).status).toBe(401);

    const second = await apiKeySession(OMAR_KEY);
    const token = ((await (await request(second, `${api}/console/me`)).json()) as { csrfToken: string }).csrfToken;
    const viaHeader = await request(second, `${api}/console/sign-out`, {
      method: 'POST',
      headers: { 'x-csrf-token': token, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(viaHeader.status).toBe(200);
  });

  it('ends a session idle for the idle timeout', async () => {
    const jar = await apiKeySession(OMAR_KEY);
    offset += 29 * 60_000;
    expect((await request(jar, `${api}/console/me`)).status).toBe(200);
    offset += 31 * 60_000;
    expect((await request(jar, `${api}/console/me`)).status).toBe(401);
    offset = 0;
    expect((await request(jar, `${api}/console/me`)).status).toBe(401);
  });

  it('is kept alive by pages the operator opens, not by what an open tab refreshes by itself', async () => {
    const idleTab = await apiKeySession(OMAR_KEY);
    const working = await apiKeySession(OMAR_KEY);
    try {
      offset += 20 * 60_000;
      expect((await request(idleTab, `${api}/console/incidents/live`)).status).toBe(200);
      expect((await request(idleTab, `${api}/console/me`)).status).toBe(200);
      expect((await request(working, `${api}/console/incidents`)).status).toBe(200);
      offset += 15 * 60_000; // 35 min after sign-in, 15 after the working tab's last page
      const ended = await request(idleTab, `${api}/console/incidents/live`);
      expect([ended.status, ended.headers.get('location')]).toEqual([303, expect.stringContaining('/console/sign-in')]);
      expect((await request(working, `${api}/console/incidents/live`)).status).toBe(200);
    } finally {
      offset = 0;
    }
  });
});
