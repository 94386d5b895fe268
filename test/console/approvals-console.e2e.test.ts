/**
 * The approvals inbox and the playbooks pages in Debian's Chromium (playwright-core), against a
 * real stack (API and worker processes, Temporal, PostgreSQL, vendor stubs): an approval link
 * through sign-in and back, the S4 conduit block approved by two OT engineers in two browser
 * sessions (exactly one firewall call), the validator's refusals shown on the page, break-glass,
 * and the dry-run form. Screenshots at 1280×800 and 390×844 go to test-artifacts/console/ (and
 * docs/console/ with INTERLOCK_UPDATE_SCREENSHOTS=1), through test/support/console-browser.ts.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { DESKTOP, PHONE, launchChromium, screenshot } from '../support/console-browser';
import { accepted, auditOf, pendingApprovalFor } from '../support/e2e';
import { API_KEYS, eventually, startStack, type Stack } from '../support/stack';

/** The engine's own ID as an operator: the validator refuses a requester approving its own request. */
const REQUESTER_KEY = 'interlock-requester-key-0123456789';
type Who = keyof typeof API_KEYS | 'interlock';
const keyOf = (who: Who): string => (who === 'interlock' ? REQUESTER_KEY : API_KEYS[who]);

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({
      configure: (c) => {
        (c.operators as unknown[]).push({
          id: 'interlock',
          name: 'Requester',
          roles: ['ot-engineer'],
          apiKey: REQUESTER_KEY,
        });
      },
    }),
    launchChromium(),
  ]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

/** A browser session of its own (cookies are per context), at a viewport. */
async function session(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  return context.newPage();
}

/** Opens `path`; without a session the console sends the browser to sign-in, then back to `path`. */
async function signedIn(page: Page, who: Who, path: string): Promise<void> {
  await page.goto(`${stack.apiUrl}${path}`);
  expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  await page.fill('#apiKey', keyOf(who));
  await Promise.all([page.waitForURL(`${stack.apiUrl}${path}`), page.click('button[type=submit]')]);
}

const bansOf = (ip: string) =>
  stack.fortigate
    .callsTo(FORTIGATE_ADD_USERS_PATH)
    .filter((c) => c.status === 200 && JSON.stringify(c.body).includes(ip));

/** The page fits the viewport's width (nothing to scroll sideways on a phone). */
async function fitsWidth(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
}

/** POSTs a form as the page's session would (its cookie), outside the page (the CSP allows no fetch). */
async function postForm(
  page: Page,
  path: string,
  fields: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const cookies = await page.context().cookies(stack.apiUrl);
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, text: await response.text() };
}

async function submitDecision(page: Page): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/decision') && r.request().method() === 'POST'),
    page.click('form[action$="/decision"] button[type=submit]'),
  ]);
  await page.waitForLoadState();
  return response.status();
}

describe('the S4 conduit block, decided in the console', () => {
  let incidentId: string;
  let approvalId: string;

  beforeAll(async () => {
    incidentId = (
      await accepted(
        await stack.webhook('generic', {
          id: 's4-console-0001',
          title: 'Modbus write to PLC from IT host',
          severity: 'high',
          src: { host: 'fin-lt-042', ip: '10.30.5.42' },
          dst: { host: 'plc-7', ip: '10.20.1.7' },
        }),
      )
    ).incidentId;
    approvalId = (await pendingApprovalFor(stack, incidentId, 'omar')).id;
  }, 60_000);

  it('shows the inbox with the action in words and technical form, target, zone, level, rule, digest and a live countdown', async () => {
    const page = await session();
    const response = await page.goto(`${stack.apiUrl}/console/approvals`);
    // No session: sign-in, which returns to the inbox afterwards.
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(
      '/console/sign-in?next=%2Fconsole%2Fapprovals',
    );
    expect(response?.status()).toBe(200);
    await signedIn(page, 'omar', '/console/approvals');
    const headers = (await page.reload())?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);

    const card = page.locator(`article#${approvalId}`);
    await expect(card.locator('h2').textContent()).resolves.toMatch(/^block 10\.30\.5\.42 .*FortiGate/);
    await expect(card.locator('code.technical').textContent()).resolves.toMatch(
      /^firewall\.quarantine_ip plc-7 ip=10\.30\.5\.42/,
    );
    const text = (await card.textContent()) ?? '';
    for (const fact of [
      'plc-7',
      'line1-cell',
      'Purdue level1',
      'Criticalityhigh',
      'rule-7-dual-approval',
      '0 of 2',
      'ot-engineer',
    ])
      expect({ fact, shown: text.replace(/\s+/g, '').includes(fact.replace(/\s+/g, '')) }).toEqual({
        fact,
        shown: true,
      });
    const approval = await pendingApprovalFor(stack, incidentId, 'omar');
    await expect(card.locator('code.digest').textContent()).resolves.toBe(approval.actionDigest);
    // countdown.js counts down (the server's text says "about N min"; the script's has seconds).
    const countdown = card.locator('.countdown');
    const first = await countdown.textContent();
    expect(first).toMatch(/^expires in \d+ min \d\d s$/);
    await page.waitForTimeout(1_100);
    expect(await countdown.textContent()).not.toBe(first);

    await screenshot(page, 'approvals-inbox-1280');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'approvals-inbox-390', { fullPage: true });
  });

  it('shows the validator’s refusals on the page: wrong role, the requester itself, a changed action', async () => {
    const alice = await session();
    await signedIn(alice, 'alice', `/console/approvals/${approvalId}/confirm?decision=approve`);
    expect(await submitDecision(alice)).toBe(403);
    expect(await alice.locator('.refusal').textContent()).toMatch(/alice lacks a required role \(ot-engineer\)/);

    const requester = await session();
    await signedIn(requester, 'interlock', `/console/approvals/${approvalId}/confirm?decision=approve`);
    expect(await submitDecision(requester)).toBe(403);
    expect(await requester.locator('.refusal').textContent()).toMatch(/the requester cannot approve its own request/);

    const changed = await session();
    await signedIn(changed, 'omar', `/console/approvals/${approvalId}/confirm?decision=approve`);
    await changed.evaluate(`document.querySelector('input[name=actionDigest]').value = '${'f'.repeat(64)}'`);
    expect(await submitDecision(changed)).toBe(409);
    expect(await changed.locator('.refusal').textContent()).toMatch(/the action changed since it was shown/);

    // A form without the session's CSRF token is refused before it reaches the validator.
    const forged = await postForm(changed, `/console/approvals/${approvalId}/decision`, {
      decision: 'approve',
      actionDigest: 'a'.repeat(64),
    });
    expect(forged.status).toBe(403);
    expect(bansOf('10.30.5.42')).toHaveLength(0);
  });

  it('two OT engineers approving in two browser sessions make exactly one firewall call', async () => {
    const [omar, grace] = [await session(), await session()];
    await signedIn(omar, 'omar', `/console/approvals/${approvalId}`);
    await signedIn(grace, 'grace', '/console/approvals');
    // The confirmation repeats the target before anything is sent.
    await Promise.all([omar.waitForURL(/\/confirm\?decision=approve$/), omar.click('a.button.approve')]);
    expect(await omar.locator('.target-line').textContent()).toBe(
      'plc-7 · zone line1-cell · Purdue level 1 · criticality high',
    );
    await screenshot(omar, 'approval-confirm-1280');
    await omar.setViewportSize(PHONE);
    expect(await fitsWidth(omar)).toBe(true);
    await screenshot(omar, 'approval-confirm-390', { fullPage: true });
    await omar.fill('#reason', 'Source is a finance laptop; block it at the conduit.');

    // Grace uses the keyboard only: Tab to her Approve link, Enter, type, Tab to the button, Enter.
    await grace.goto(`${stack.apiUrl}/console/approvals/${approvalId}/confirm?decision=approve`);
    await grace.focus('#reason');
    await grace.keyboard.type('Confirmed with the line 1 shift.');
    await grace.keyboard.press('Tab');
    expect(await grace.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Approve plc-7');

    const [first, second] = await Promise.all([
      submitDecision(omar),
      (async () => {
        const [response] = await Promise.all([
          grace.waitForResponse((r) => r.url().endsWith('/decision')),
          grace.keyboard.press('Enter'),
        ]);
        await grace.waitForLoadState();
        return response.status();
      })(),
    ]);
    expect([first, second]).toEqual([200, 200]);
    await eventually(() => (bansOf('10.30.5.42').length > 0 ? true : undefined), 'the conduit block', 30_000);
    const records = await auditOf(stack, incidentId, (r) => r.some((x) => x.eventType === 'playbook.completed'));
    expect(bansOf('10.30.5.42')).toHaveLength(1);
    expect(
      records
        .filter((r) => r.eventType === 'approval.decided')
        .map((r) => [r.actor.id, r.actor.channel])
        .sort(),
    ).toEqual([
      ['grace', 'console'],
      ['omar', 'console'],
    ]);
    expect(
      records.find((r) => r.eventType === 'action.executed' && r.stepId === 'block-source-at-conduit'),
    ).toMatchObject({
      decision: { rule: 'rule-7-dual-approval' },
    });

    // The same person again (a second tab's stale confirmation): refused, nothing more is called.
    await omar.goBack();
    await omar.goto(`${stack.apiUrl}/console/approvals/${approvalId}`);
    expect(await omar.locator('.votes').textContent()).toMatch(
      /Omar Haddad approved .* via console — “Source is a finance laptop/,
    );
    const again = await postForm(omar, `/console/approvals/${approvalId}/decision`, {
      _csrf: await omar.locator('input[name=_csrf]').first().inputValue(),
      decision: 'approve',
      actionDigest: (await omar.locator('code.digest').textContent()) ?? '',
    });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/already (approved|decided)/);
    expect(bansOf('10.30.5.42')).toHaveLength(1);
  });
});

describe('break-glass in the console', () => {
  it('is offered to the break-glass role only, refuses a thin justification, then forces the action once', async () => {
    const { incidentId } = await accepted(
      await stack.webhook('generic', {
        id: 'bg-console-0001',
        title: 'PLC talking to the internet',
        severity: 'critical',
        rule: { id: 'test-quarantine' },
        hosts: [{ name: 'plc-7', ip: '10.20.1.7' }],
      }),
    );
    const { id: approvalId } = await pendingApprovalFor(stack, incidentId, 'victor');
    const omar = await session();
    await signedIn(omar, 'omar', `/console/approvals/${approvalId}`);
    expect(await omar.locator('a.breakglass').count()).toBe(0);

    const victor = await session();
    await signedIn(victor, 'victor', '/console/approvals');
    await Promise.all([victor.waitForURL(/decision=break-glass$/), victor.click(`article#${approvalId} a.breakglass`)]);
    await victor.fill('#justification', 'urgent, trust me please'.slice(0, 19));
    // The browser's own minlength check would stop the form: remove it to reach the validator.
    await victor.evaluate(`document.querySelector('#justification').removeAttribute('minlength')`);
    expect(await submitDecision(victor)).toBe(422);
    expect(await victor.locator('.refusal').textContent()).toMatch(/justification of at least 20 characters/);
    expect(bansOf('10.20.1.7')).toHaveLength(0);

    await victor.fill('#justification', 'Ransomware spreading into the cell; shift lead unreachable.');
    expect(await submitDecision(victor)).toBe(200);
    expect(await victor.locator('.notice.ok').textContent()).toMatch(/Your decision is recorded/);
    await eventually(() => (bansOf('10.20.1.7').length > 0 ? true : undefined), 'the forced quarantine', 30_000);
    const records = await auditOf(stack, incidentId, (r) => r.some((x) => x.eventType === 'playbook.completed'));
    expect(bansOf('10.20.1.7')).toHaveLength(1);
    expect(records.find((r) => r.eventType === 'approval.decided')).toMatchObject({
      actor: { id: 'victor', channel: 'console' },
      approval: { breakGlass: true, justification: 'Ransomware spreading into the cell; shift lead unreachable.' },
    });
  });
});

describe('the playbooks pages', () => {
  it('lists playbooks with triggers and warnings, shows the YAML, and dry-runs a pasted alert', async () => {
    const page = await session();
    await signedIn(page, 'alice', '/console/playbooks');
    const s4 = page.locator('article#s4-modbus-write-it-to-plc');
    expect(await s4.locator('.triggers').textContent()).toContain('alert.ot.operation in ["write"');
    expect(await s4.locator('td.warning').nth(1).textContent()).toMatch(
      /changes its target; the engine requires approval/,
    );
    await screenshot(page, 'playbooks-1280');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'playbooks-390');
    await page.setViewportSize(DESKTOP);

    await Promise.all([
      page.waitForURL(/\/console\/playbooks\/s4-modbus-write-it-to-plc$/),
      s4.locator('h2 a').click(),
    ]);
    expect(await page.locator('pre.yaml').textContent()).toContain('id: s4-modbus-write-it-to-plc');

    // Bad JSON: the error with its field path, a 4xx, the pasted text kept.
    await page.selectOption('#source', 'generic');
    await page.fill('#alert', '{"title": "Modbus write", ');
    const [bad] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/dry-run')),
      page.click('form[action*="/dry-run"] button'),
    ]);
    await page.waitForLoadState();
    expect(bad.status()).toBe(400);
    expect(await page.locator('.dry-run-error').textContent()).toMatch(/alert: not valid JSON/);
    expect(await page.inputValue('#alert')).toBe('{"title": "Modbus write", ');

    const alert = {
      id: 's4-dry-0001',
      title: 'Modbus write to PLC from IT host <b>bold</b>',
      severity: 'high',
      src: { host: 'fin-lt-042', ip: '10.30.5.42' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    };
    await page.fill('#alert', JSON.stringify(alert, null, 2));
    const [ok] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/dry-run')),
      page.click('form[action*="/dry-run"] button'),
    ]);
    await page.waitForLoadState();
    expect({ status: ok.status(), error: await page.locator('.dry-run-error').allTextContents() }).toEqual({
      status: 200,
      error: [],
    });
    const result = page.locator('.dry-run-result');
    expect(await result.locator('h2').textContent()).toContain('the playbook would run');
    const steps = await result.locator('tr.planned-step').allTextContents();
    expect(steps[0]).toMatch(/contain-source[\s\S]*auto[\s\S]*rule-2-auto-it/);
    expect(steps[1]).toMatch(
      /block-source-at-conduit[\s\S]*approve[\s\S]*rule-7-dual-approval[\s\S]*needs 2 approval\(s\) by ot-engineer/,
    );
    // The alert's text is shown as text, never as markup.
    expect(await result.locator('b').count()).toBe(0);
    expect(await result.textContent()).toContain('<b>bold</b>');
    await screenshot(page, 'playbook-dry-run-1280', { fullPage: true });

    // An alert the source's normalizer cannot read: 400 with the reason, never a 500.
    await page.fill('#alert', '[1, 2, 3]');
    const [unreadable] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/dry-run')),
      page.click('form[action*="/dry-run"] button'),
    ]);
    expect(unreadable.status()).toBeGreaterThanOrEqual(400);
    expect(unreadable.status()).toBeLessThan(500);
  });
});
