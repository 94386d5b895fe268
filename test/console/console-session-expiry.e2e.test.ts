/**
 * What changes under an open console page, in Debian's Chromium (playwright-core) against a
 * real stack (API and worker processes, Temporal, PostgreSQL, vendor stubs): an approval that
 * expires while the inbox is open (the countdown reaches zero, the page says so, and a
 * decision is refused with the validator's reason), and a session that ends in another tab or
 * is revoked (the open pages say they are signed out, through the event stream's
 * `session-ended`, without a reload). The sign-in pages are the console's shell (its
 * stylesheet, its CSP, no script). Screenshots like the other browser tests
 * (test/support/console-browser.ts).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client } from 'pg';
import { CONSOLE_PAGE_CSP } from '../../src/api/console/layout';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { DESKTOP, PHONE, launchChromium, screenshot } from '../support/console-browser';
import { accepted, pendingApprovalFor } from '../support/e2e';
import { API_KEYS, eventually, startStack, type Stack } from '../support/stack';

/** Long enough to sign in and see the countdown move on a loaded machine, short enough to wait out. */
const APPROVAL_TTL_S = 30;

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** CSP violations and script errors of every page. */
const problems: string[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({ approvalTtl: `${APPROVAL_TTL_S}s` }), launchChromium()]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newContext(viewport = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  return context;
}

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return page;
}

/** Opens `path`, signs in on the sign-in page it leads to, and comes back to `path`. */
async function signIn(page: Page, who: keyof typeof API_KEYS, path: string): Promise<void> {
  await page.goto(`${stack.apiUrl}${path}`);
  expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  await page.fill('#apiKey', API_KEYS[who]);
  await Promise.all([page.waitForURL(`${stack.apiUrl}${path}`), page.click('button[type=submit]')]);
}

/** Waits until the page's event stream is open (console.js marks <main>). */
async function listening(page: Page): Promise<void> {
  await page.waitForSelector('main[data-live-connected=true]', { timeout: 15_000 });
}

describe('the sign-in pages are console pages', () => {
  it('render in the shell, with its stylesheet and the one CSP, at 1280×800 and on a phone', async () => {
    const page = await newPage(await newContext());
    const response = await page.goto(`${stack.apiUrl}/console/sign-in`);
    expect(response?.headers()['content-security-policy']).toBe(CONSOLE_PAGE_CSP);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(await page.locator('header.top .brand').textContent()).toBe('Interlock');
    // The stylesheet applies (no inline style is allowed any more): the brand bar is dark.
    expect(await page.evaluate(`getComputedStyle(document.querySelector('header.top')).backgroundColor`)).toBe(
      'rgb(20, 32, 46)',
    );
    expect(await page.locator('script, style, [style]').count()).toBe(0);
    await screenshot(page, 'sign-in-1280');

    // A wrong key: the reason on the same page, still in the shell.
    await page.fill('#apiKey', 'not-a-key-0123456789');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/console/sign-in') && r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(refused.status()).toBe(401);
    await page.waitForLoadState();
    expect(await page.locator('p.error[role=alert]').textContent()).toBe(
      'That API key does not belong to any operator.',
    );
    expect(await page.locator('header.top').count()).toBe(1);

    await page.setViewportSize(PHONE);
    await page.goto(`${stack.apiUrl}/console/sign-in`);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'sign-in-390');
  });
});

describe('an approval that expires while the inbox is open', () => {
  it('counts down to zero, says it expired, and a decision on it is refused with the reason', async () => {
    const { incidentId } = await accepted(
      await stack.webhook('generic', {
        id: 'console-exp-0001',
        title: 'PLC talking to the internet',
        severity: 'high',
        rule: { id: 'test-quarantine' },
        hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
      }),
    );
    const approval = await pendingApprovalFor(stack, incidentId, 'omar');
    const context = await newContext();
    const inbox = await newPage(context);
    await signIn(inbox, 'omar', '/console/approvals');
    const card = inbox.locator(`article#${approval.id}`);
    const countdown = card.locator('.countdown');
    expect(await countdown.textContent()).toMatch(/^expires in 0 min \d\d s$/);

    // A second tab of the same session opens the confirmation while the approval is still pending.
    const confirm = await newPage(context);
    await confirm.goto(`${stack.apiUrl}/console/approvals/${approval.id}/confirm?decision=approve`);
    expect(await confirm.locator('.target-line').textContent()).toBe(
      'plc-7 · zone line1-cell · Purdue level 1 · criticality high',
    );
    await confirm.fill('#reason', 'Approving from a page left open too long.');

    // Nobody reloads: the countdown reaches zero on the open page.
    await card
      .locator('.countdown', { hasText: 'expired: nothing will be done' })
      .waitFor({ timeout: (APPROVAL_TTL_S + 15) * 1000 });
    expect(await countdown.textContent()).toBe('expired: nothing will be done');
    expect(await countdown.getAttribute('class')).toMatch(/\bexpired\b/);
    expect(await inbox.locator('#live-status').textContent()).toBe(
      'This approval has expired: nothing will be done, and a decision on it is refused.',
    );
    await screenshot(inbox, 'approval-expired-1280');

    // The confirmation, posted after the expiry: the validator's refusal, on the page, 410.
    expect(await confirm.locator('.countdown').textContent()).toBe('expired: nothing will be done');
    const [answer] = await Promise.all([
      confirm.waitForResponse((r) => r.url().endsWith('/decision') && r.request().method() === 'POST'),
      confirm.click('form[action$="/decision"] button[type=submit]'),
    ]);
    await confirm.waitForLoadState();
    expect(answer.status()).toBe(410);
    expect(await confirm.locator('.refusal').textContent()).toMatch(
      new RegExp(`Refused: approval ${approval.id} expired at .*approval_expired`),
    );
    // The reason typed is kept on the refused form.
    expect(await confirm.inputValue('#reason')).toBe('Approving from a page left open too long.');

    // Approve… on the card the inbox still shows: the approval is closed, and says why.
    await eventually(async () => {
      const response = await stack.api(`/approvals?status=expired&incidentId=${incidentId}`, { operator: 'omar' });
      const { approvals } = (await response.json()) as { approvals: { id: string }[] };
      return approvals.some((a) => a.id === approval.id) ? true : undefined;
    }, 'the approval listed as expired');
    const [closed] = await Promise.all([
      inbox.waitForResponse((r) => r.url().includes(`/approvals/${approval.id}/confirm`)),
      card.locator('a.button.approve').click(),
    ]);
    await inbox.waitForLoadState();
    expect(closed.status()).toBe(409);
    expect(await inbox.locator('h1').textContent()).toBe('Already closed');
    expect(await inbox.locator('p.error[role=alert]').textContent()).toBe(`Approval ${approval.id} is expired.`);

    // The inbox, loaded again, no longer offers it; nothing reached the firewall.
    await inbox.goto(`${stack.apiUrl}/console/approvals`);
    expect(await inbox.locator(`article#${approval.id}`).count()).toBe(0);
    expect(stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH)).toHaveLength(0);
  }, 120_000);
});

describe('a session that ends while its pages are open', () => {
  it('signing out in one tab shows the other tabs signed out at once, without a reload', async () => {
    const context = await newContext();
    const [queue, inbox, other] = [await newPage(context), await newPage(context), await newPage(context)];
    await signIn(queue, 'alice', '/console/incidents');
    await inbox.goto(`${stack.apiUrl}/console/approvals`);
    await other.goto(`${stack.apiUrl}/console/incidents`);
    await Promise.all([listening(queue), listening(inbox)]);
    // A mark that a reload would wipe out.
    await queue.evaluate('window.__notReloaded = true');
    const csrf = await other.locator('input[name=_csrf]').first().inputValue();
    const cookie = (await context.cookies(stack.apiUrl)).map((c) => `${c.name}=${c.value}`).join('; ');

    const started = Date.now();
    await Promise.all([other.waitForURL(/\/console\/sign-out$/), other.click('.who button[type=submit]')]);
    expect(await other.locator('h1').textContent()).toBe('Signed out');
    expect(await other.locator('header.top').count()).toBe(1);

    for (const page of [queue, inbox]) {
      // Sooner than the stream's 20 s heartbeat: the sign-out itself ends the stream.
      await page.waitForSelector('html[data-session=ended]', { timeout: 10_000 });
      expect(await page.locator('#live-status').textContent()).toBe(
        'You are signed out: your console session has ended. Sign in again',
      );
      expect(await page.locator('header .who').textContent()).toBe('Signed out');
      expect(await page.title()).toMatch(/^Signed out — /);
    }
    const ms = Date.now() - started;
    expect(ms).toBeLessThan(15_000);
    expect(await queue.evaluate('window.__notReloaded')).toBe(true);
    expect(await queue.locator('#live-status a').getAttribute('href')).toBe(
      '/console/sign-in?next=%2Fconsole%2Fincidents',
    );
    await screenshot(queue, 'signed-out-1280');

    // A stale sign-out form (a page without script) goes to sign-in, not to an error.
    const stale = await fetch(`${stack.apiUrl}/console/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect([stale.status, stale.headers.get('location')]).toEqual([303, '/console/sign-in']);

    // "Sign in again" comes back to the page.
    await queue.click('#live-status a');
    await queue.waitForURL(/\/console\/sign-in\?next=/);
    await queue.fill('#apiKey', API_KEYS.alice);
    await Promise.all([queue.waitForURL(`${stack.apiUrl}/console/incidents`), queue.click('button[type=submit]')]);
    expect(await queue.locator('header .operator').textContent()).toBe('Alice Moreau');
  }, 90_000);

  it('a session revoked outside this tab (its row deleted) is noticed by the stream’s check', async () => {
    const context = await newContext();
    const page = await newPage(context);
    await signIn(page, 'grace', '/console/approvals');
    await listening(page);
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rowCount } = await db.query("DELETE FROM console_sessions WHERE operator_id = 'grace'");
      expect(rowCount).toBe(1);
    } finally {
      await db.end();
    }
    // No request of this session ends it here: the stream's check every 20 s finds it gone.
    await page.waitForSelector('html[data-session=ended]', { timeout: 35_000 });
    expect(await page.locator('#live-status').textContent()).toMatch(/^You are signed out/);
  }, 90_000);

  it('saw no CSP violation and no script error on any page', () => {
    expect(problems).toEqual([]);
  });
});
