/**
 * The console's shell and incident pages in Debian's Chromium (playwright-core) against the
 * real stack (API and worker processes, Temporal, PostgreSQL, vendor stubs), issue 17: sign-in
 * with an API key, the queue with its filters and zone counts, a new alert appearing live
 * without a reload, the incident page (fields, targets, decisions with words for people), a
 * case change from the page audited with the operator, hostile alert text shown as text, the
 * CSP on every response and no violation, keyboard reach, a phone viewport without sideways
 * scrolling. Screenshots go to test-artifacts/console/ (and to docs/console/ with
 * INTERLOCK_UPDATE_SCREENSHOTS=1, see docs/console.md).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, PHONE, launchChromium, screenshot, signedInContext } from '../support/console-browser';
import { acceptedIncident, auditOf, pendingApprovalFor } from '../support/e2e';
import { API_KEYS, eventually, startStack, type Stack } from '../support/stack';

/** The focused element as `tag#id:text` (evaluated in the page). */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el) return '';
  return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ':' + (el.textContent || '').trim().slice(0, 40);
})()`;
const HOSTILE = `<img src=x id=pwn onerror="window.pwned=1"><script>window.pwned=2</script> "quoted" & 'single'`;

let stack: Stack;
let browser: Browser;
let it1: string;
let ot1: string;
let hostile: string;
/** Every CSP violation or page error any page reported. */
const violations: string[] = [];

/** An attribute of every element the selector finds, in document order. */
async function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  const found = page.locator(selector);
  const values: (string | null)[] = [];
  for (let n = 0; n < (await found.count()); n++) values.push(await found.nth(n).getAttribute(name));
  return values;
}

function signedIn(
  operator: keyof typeof API_KEYS,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  return signedInContext(browser, stack.apiUrl, operator, violations, viewport);
}

const opened = (incidentId: string) =>
  auditOf(stack, incidentId, (records) => records.some((r) => r.eventType === 'incident.opened'));

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  // An IT laptop contained automatically, an engineering workstation waiting for approval, and
  // an alert whose title is HTML (no playbook matches it).
  it1 = await acceptedIncident(stack, {
    id: 'console-it-1',
    title: 'Ransomware behaviour on fin-lt-042',
    severity: 'critical',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: 'fin-lt-042', ip: '10.30.5.42' }],
  });
  // The queue orders by the incident's opening, which its workflow records: each opened before
  // the next is sent, so "newest first" has one right answer however the worker schedules them.
  await opened(it1);
  ot1 = await acceptedIncident(stack, {
    id: 'console-ot-1',
    title: 'Suspicious tool on eng-ws-03',
    severity: 'high',
    rule: { id: 'test-quarantine' },
    hosts: [{ name: 'eng-ws-03', ip: '10.10.4.17' }],
  });
  await opened(ot1);
  hostile = await acceptedIncident(stack, {
    id: 'console-hostile-1',
    title: HOSTILE,
    severity: 'low',
    rule: { id: 'no-playbook-has-this', name: HOSTILE },
    hosts: [{ name: 'fin-lt-042', ip: '10.30.5.42' }],
    users: [HOSTILE],
  });
  await Promise.all([
    auditOf(stack, it1, (records) => records.some((r) => r.eventType === 'action.executed')),
    pendingApprovalFor(stack, ot1),
    auditOf(stack, hostile, (records) => records.some((r) => r.eventType === 'alert.received')),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('console: incidents queue', () => {
  it('signs in with an API key and lands on the queue: newest first, zone counts, the shell and its CSP', async () => {
    const { context, page } = await signedIn('alice');
    try {
      const response = await page.goto(`${stack.apiUrl}/console/incidents`);
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      await expect(page.locator('header .operator').textContent()).resolves.toBe('Alice Moreau');
      expect(await page.locator('nav[aria-label=Console] a').allTextContents()).toEqual([
        'Incidents',
        'Approvals',
        'Playbooks',
      ]);
      const ids = await attributes(page, 'tr[data-incident]', 'data-incident');
      expect(ids).toEqual([hostile, ot1, it1]);
      expect(new Set(ids).size).toBe(3);
      const chips: Record<string, number> = {};
      const links = page.locator('a.chip[data-zone]:not([data-zone=""])');
      for (let n = 0; n < (await links.count()); n++)
        chips[(await links.nth(n).getAttribute('data-zone')) ?? ''] = Number(
          await links.nth(n).locator('.count').textContent(),
        );
      expect(chips).toMatchObject({ corp: 1, eng: 1 });
      await screenshot(page, 'queue-1280x800');
    } finally {
      await context.close();
    }
  });

  it('filters by severity, zone and waiting for approval; the API answers the same', async () => {
    const { context, page } = await signedIn('alice');
    try {
      await page.selectOption('#f-severity', 'critical');
      await page.click('form.filters button[type=submit]');
      await page.waitForURL(/severity=critical/);
      expect(await attributes(page, 'tr[data-incident]', 'data-incident')).toEqual([it1]);

      await page.goto(`${stack.apiUrl}/console/incidents`);
      await page.check('#f-waitingForApproval');
      await page.click('form.filters button[type=submit]');
      await page.waitForURL(/waitingForApproval=true/);
      expect(await attributes(page, 'tr[data-incident]', 'data-incident')).toEqual([ot1]);
      await expect(page.locator(`tr[data-incident="${ot1}"] .badge.waiting`).textContent()).resolves.toContain(
        '1 waiting',
      );

      await page.click('a.chip[data-zone="eng"]');
      await page.waitForURL(/zone=eng/);
      expect(await page.locator('a.chip[aria-current=true]').getAttribute('data-zone')).toBe('eng');

      const api = (await (await stack.api('/incidents?waitingForApproval=true', { operator: 'alice' })).json()) as {
        incidents: { incidentId: string; pendingApprovals: number }[];
      };
      expect(api.incidents.map((i) => [i.incidentId, i.pendingApprovals])).toEqual([[ot1, 1]]);
      const zones = (await (await stack.api('/incidents/zones?severity=critical', { operator: 'alice' })).json()) as {
        zones: { zone: string; count: number }[];
      };
      expect(zones.zones).toEqual([{ zone: 'corp', count: 1 }]);
    } finally {
      await context.close();
    }
  });

  it('shows a new incident without a reload (server-sent events)', async () => {
    const { context, page } = await signedIn('alice');
    try {
      await page.locator('main[data-live-connected=true]').waitFor();
      await page.evaluate('window.notReloaded = true');
      // Another host and rule: a new incident, not an alert joining one already listed.
      const fresh = await acceptedIncident(stack, {
        id: 'console-live-1',
        title: 'Live: port scan from ws-live-1',
        severity: 'medium',
        rule: { id: 'console-live-scan' },
        hosts: [{ name: 'ws-live-1', ip: '10.30.77.7' }],
      });
      await page.locator(`tr[data-incident="${fresh}"]`).waitFor({ timeout: 20_000 });
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect(await page.locator('tr[data-incident]').first().getAttribute('data-incident')).toBe(fresh);
      await expect(page.locator('#live-status').textContent()).resolves.toMatch(/1 new incident/);
      expect(await page.locator(`tr[data-incident="${fresh}"]`).getAttribute('class')).toMatch(/fresh/);
    } finally {
      await context.close();
    }
  });

  it('answers the event stream only with a session, with the console CSP', async () => {
    expect((await fetch(`${stack.apiUrl}/console/events`)).status).toBe(401);
    const { context } = await signedIn('alice');
    try {
      const cookies = await context.cookies();
      const controller = new AbortController();
      const response = await fetch(`${stack.apiUrl}/console/events`, {
        headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      controller.abort();
    } finally {
      await context.close();
    }
  });
});

describe('console: incident page', () => {
  it('shows alerts with their fields, targets with zone and Purdue level, decisions in words and technical form', async () => {
    const { context, page } = await signedIn('alice');
    try {
      const response = await page.goto(`${stack.apiUrl}/console/incidents/${ot1}`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await expect(page.locator('h1').textContent()).resolves.toBe('Suspicious tool on eng-ws-03');
      const alert = page.locator('article.alert').first();
      await expect(alert.locator('.alert-title').textContent()).resolves.toBe('Suspicious tool on eng-ws-03');
      expect(await alert.locator('dd').allTextContents()).toEqual(expect.arrayContaining(['generic', 'console-ot-1']));
      const recorded = alert.locator('details:not(.raw-payload)');
      await recorded.locator('summary').click();
      await expect(recorded.locator('pre.raw').textContent()).resolves.toContain('"alertUid": "console-ot-1"');
      // The webhook body as received, next to it (collapsed until opened).
      const raw = alert.locator('details.raw-payload');
      await raw.locator('summary').click();
      await expect(raw.locator('pre.raw').textContent()).resolves.toContain('"id": "console-ot-1"');
      const target = page.locator('tr[data-target="10.10.4.17"]');
      expect(await target.locator('td').allTextContents()).toEqual([
        'eng-ws-03',
        '10.10.4.17',
        'eng',
        '3',
        'ews',
        'high',
      ]);
      const decision = page.locator('article.decision').first();
      await expect(decision.locator('.words').textContent()).resolves.toMatch(/^block 10\.10\.4\.17 \(eng-ws-03\)/);
      await expect(decision.locator('code.technical').textContent()).resolves.toBe(
        'firewall.quarantine_ip 10.10.4.17 → fortigate:root',
      );
      await expect(decision.locator('code.rule').textContent()).resolves.toMatch(/\S/);
      await expect(page.locator('section.pending').textContent()).resolves.toContain('0/');
      await expect(page.locator('.chain').textContent()).resolves.toContain('verified');
      expect(await page.locator('a[href$="/evidence"]').count()).toBe(1);
      const evidence = await page.request.get(`${stack.apiUrl}/console/incidents/${ot1}/evidence`);
      expect(evidence.status()).toBe(200);
      expect(((await evidence.json()) as { format: string }).format).toBe('interlock-evidence/1');
      // The page's top (opening the recorded alert scrolled it) for the committed screenshot.
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, 'incident-1280x800');
    } finally {
      await context.close();
    }
  });

  it('changes the case and comments from the page, audited with the operator and the console channel', async () => {
    const { context, page } = await signedIn('alice');
    try {
      await page.goto(`${stack.apiUrl}/console/incidents/${it1}`);
      await page.selectOption('#case-status', 'triage');
      await page.selectOption('#case-assignee', 'omar');
      await page.fill('#case-tags', 'Ransomware, it');
      await page.click('form.case-form button[type=submit]');
      await page.waitForURL(/saved=case/);
      await expect(page.locator('.notice.saved').textContent()).resolves.toBe('Case saved.');
      expect(await page.locator('#case-status').inputValue()).toBe('triage');
      expect(await page.locator('#case-tags').inputValue()).toBe('it, ransomware');
      await expect(page.locator('.tta').textContent()).resolves.toMatch(/\d+ (s|min)/);
      await page.fill('#comment-text', `Called the owner. ${HOSTILE}`);
      await page.click('form.comment-form button[type=submit]');
      await page.waitForURL(/saved=comment/);
      await expect(page.locator('.comment-text').last().textContent()).resolves.toBe(`Called the owner. ${HOSTILE}`);
      expect(await page.locator('#pwn').count()).toBe(0);

      const records = await auditOf(stack, it1, (rs) => rs.some((r) => r.eventType === 'case.commented'));
      const updated = records.find((r) => r.eventType === 'case.updated');
      expect(updated).toMatchObject({
        actor: { type: 'operator', id: 'alice', channel: 'console' },
        details: { changes: { status: { from: 'new', to: 'triage' }, assignee: { to: 'omar' } } },
      });
      expect(records.find((r) => r.eventType === 'case.commented')?.actor).toMatchObject({
        id: 'alice',
        channel: 'console',
      });

      // A refused change shows the reason on the page.
      await page.fill('#case-tags', 'not a valid tag!');
      await page.click('form.case-form button[type=submit]');
      await expect(page.locator('.notice.error').textContent()).resolves.toMatch(/^Not saved: invalid case change/);
    } finally {
      await context.close();
    }
  });

  it('refuses a case form without the CSRF token', async () => {
    const { context, page } = await signedIn('alice');
    try {
      const response = await page.request.post(`${stack.apiUrl}/console/incidents/${it1}/case`, {
        form: { status: 'recovering' },
      });
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('This form has expired');
    } finally {
      await context.close();
    }
  });
});

describe('console: hostile text, keyboard, phone', () => {
  it('shows hostile alert text as text on the queue and the incident page', async () => {
    const { context, page } = await signedIn('alice');
    try {
      await page.goto(`${stack.apiUrl}/console/incidents`);
      await expect(page.locator(`tr[data-incident="${hostile}"] td.title a`).textContent()).resolves.toBe(HOSTILE);
      await page.goto(`${stack.apiUrl}/console/incidents/${hostile}`);
      await expect(page.locator('h1').textContent()).resolves.toBe(HOSTILE);
      expect(await page.locator('#pwn').count()).toBe(0);
      expect(await page.evaluate('window.pwned')).toBeUndefined();
      const recorded = page.locator('article.alert details:not(.raw-payload)').first();
      await recorded.locator('summary').click();
      await expect(recorded.locator('pre.raw').textContent()).resolves.toContain('<script>window.pwned=2</script>');
      // The raw payload (the webhook body as stored), opened: the same text, still text.
      const raw = page.locator('article.alert details.raw-payload').first();
      await raw.locator('summary').click();
      await expect(raw.locator('pre.raw').textContent()).resolves.toContain(`"title": ${JSON.stringify(HOSTILE)}`);
      await expect(raw.locator('.raw-facts').first().textContent()).resolves.toContain('SHA-256 matches');
      expect(await page.locator('#pwn').count()).toBe(0);
      expect(await page.evaluate('window.pwned')).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('reaches the main controls with the keyboard alone', async () => {
    const { context, page } = await signedIn('alice');
    try {
      const reached = async (presses: number) => {
        const seen: string[] = [];
        for (let i = 0; i < presses; i++) {
          await page.keyboard.press('Tab');
          seen.push(String(await page.evaluate(FOCUSED)));
        }
        return seen;
      };
      await page.goto(`${stack.apiUrl}/console/incidents`);
      const queue = await reached(25);
      expect(queue[0]).toBe('a:Skip to content');
      expect(queue).toEqual(
        expect.arrayContaining([
          'a:Incidents',
          'a:Approvals',
          'button:Sign out',
          expect.stringMatching(/^select#f-status/),
          'button:Filter',
          expect.stringMatching(/^a:All zones/),
        ]),
      );
      // The skip link moves the focus past the navigation.
      await page.goto(`${stack.apiUrl}/console/incidents`);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement.id')).toBe('main');
      await page.goto(`${stack.apiUrl}/console/incidents/${it1}`);
      const incident = await reached(25);
      expect(incident).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^select#case-status/),
          expect.stringMatching(/^select#case-assignee/),
          expect.stringMatching(/^input#case-tags/),
          'button:Save case',
        ]),
      );
    } finally {
      await context.close();
    }
  });

  it('fits a phone (390×844) without sideways scrolling', async () => {
    const { context, page } = await signedIn('alice', PHONE);
    try {
      const overflow = async () =>
        Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
      await page.goto(`${stack.apiUrl}/console/incidents`);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'queue-phone');
      await page.goto(`${stack.apiUrl}/console/incidents/${ot1}`);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'incident-phone');
    } finally {
      await context.close();
    }
  });

  it('saw no CSP violation and no script error on any page', () => {
    expect(violations).toEqual([]);
  });
});

describe('console: landing', () => {
  it('sends /console to the queue when signed in, to sign-in otherwise; a page to sign-in and back', async () => {
    const anonymous = await fetch(`${stack.apiUrl}/console`, { redirect: 'manual' });
    expect(anonymous.headers.get('location')).toBe('/console/sign-in');
    const page = await fetch(`${stack.apiUrl}/console/incidents`, { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([303, '/console/sign-in?next=%2Fconsole%2Fincidents']);
    await eventually(
      async () => ((await fetch(`${stack.apiUrl}/console/assets/console.css`)).ok ? true : undefined),
      'the stylesheet',
    );
  });
});
