/**
 * The README's "first ten minutes", as a newcomer follows it: `node dist/src/main.js dev` with
 * the embedded defaults (Temporal, PostgreSQL and the simulated lab), the README's sample alerts
 * and credentials. The Splunk ransomware alert contains the laptop at the lab's CrowdStrike; the
 * Defender for IoT PLC-programming alert proposes a conduit block that reaches the lab's
 * FortiGate only after two OT engineers approve it in the console, in Chromium (a SOC analyst is
 * refused there); both trails verify; SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AuditRecord } from '../../src/audit/types';
import { embeddedPostgresDataDir } from '../../src/dev/embedded-postgres';
import { LAB_INSPECT_PATH } from '../../src/dev/lab/lab';
import type { RecordedCall } from '../stubs';
import { REPO_ROOT, eventually, freePortBlock } from '../support/stack';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const DEV_CONFIG = readFileSync(join(REPO_ROOT, 'config', 'interlock.dev.yaml'), 'utf8');

/** What the README's commands use: checked against its text so the two cannot drift apart. */
const SPLUNK_SAMPLE = 'test/intake/fixtures/splunk.json';
const DEFENDER_SAMPLE = 'test/intake/fixtures/defender-iot.json';
const SPLUNK_TOKEN = 'dev-splunk-token';
const DEFENDER_TOKEN = 'dev-defender-iot-token';
const KEYS = {
  alice: 'dev-alice-key-0000000000',
  omar: 'dev-omar-key-00000000000',
  grace: 'dev-grace-key-0000000000',
} as const;
const LAPTOP_AGENT = /crowdstrike: ([0-9a-f]{32})/.exec(DEV_CONFIG)?.[1];

interface LabView {
  calls: RecordedCall[];
  contained?: string[];
  banned?: { ip: string }[];
}

const types = (records: AuditRecord[]) => records.map((r) => r.eventType);
const ended = (records: AuditRecord[]) =>
  records.some((r) => r.eventType === 'playbook.completed' || r.eventType === 'playbook.failed');

describe('the first ten minutes, as the README tells them', () => {
  it('names in the README exactly what this test uses', () => {
    for (const text of [SPLUNK_SAMPLE, DEFENDER_SAMPLE, SPLUNK_TOKEN, DEFENDER_TOKEN, ...Object.values(KEYS)])
      expect({ text, inReadme: README.includes(text) }).toEqual({ text, inReadme: true });
    expect(README).toContain('/approvals/apr-…/decision');
    expect(README).toContain('http://localhost:3000/console/approvals');
    expect(README).toContain(LAB_INSPECT_PATH);
    expect(LAPTOP_AGENT).toBeDefined();
  });

  it('contains the laptop at the lab EDR, blocks at the lab firewall after two OT approvals in the console, trails verify', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'interlock-dev-'));
    const port = await freePortBlock(4);
    const [crowdstrikePort, fortigatePort] = [port + 2, port + 3];
    const child = spawn(process.execPath, [MAIN, 'dev'], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        INTERLOCK_STATE_DIR: stateDir,
        INTERLOCK_PORT: String(port),
        INTERLOCK_CONFIG: '',
        INTERLOCK_LAB: '',
        TEMPORAL_ADDRESS: '',
        DATABASE_URL: '',
        INTERLOCK_TEMPORAL_UI_PORT: String(port + 1),
        INTERLOCK_LAB_CROWDSTRIKE_PORT: String(crowdstrikePort),
        INTERLOCK_LAB_FORTIGATE_PORT: String(fortigatePort),
        // The README's http://localhost:3000 is this test's port (sign-in checks the form's origin).
        INTERLOCK_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    const api = `http://127.0.0.1:${port}`;
    const crowdstrikeUrl = `http://127.0.0.1:${crowdstrikePort}`;
    const fortigateUrl = `http://127.0.0.1:${fortigatePort}`;
    const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });
    const json = async <T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
      const response = await fetch(url, init);
      return { status: response.status, body: (await response.json()) as T };
    };
    const lab = async (url: string) => (await json<LabView>(`${url}${LAB_INSPECT_PATH}`)).body;
    const post = (url: string, headers: Record<string, string>, body: string) =>
      json<{ incidentId: string }>(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const audit = (incidentId: string, until: (records: AuditRecord[]) => boolean) =>
      eventually(
        async () => {
          const { body } = await json<{ records?: AuditRecord[] }>(`${api}/incidents/${incidentId}/audit`, {
            headers: as('alice'),
          });
          return body.records !== undefined && until(body.records) ? body.records : undefined;
        },
        `the audit records of ${incidentId}`,
        30_000,
      );
    const verified = async (incidentId: string) =>
      (await json<{ ok: boolean }>(`${api}/audit/verify?incidentId=${incidentId}`, { headers: as('alice') })).body.ok;
    let browser: Browser | undefined;
    /** As the README says: open the inbox, sign in with the key, Approve…, confirm. The page after it. */
    const approveInConsole = async (approvalId: string, who: keyof typeof KEYS): Promise<Page> => {
      browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(`${api}/console/approvals`);
      await page.fill('#apiKey', KEYS[who]);
      await Promise.all([page.waitForURL(`${api}/console/approvals`), page.click('button[type=submit]')]);
      const approve = page.locator(`article#${approvalId} a.approve`);
      if ((await approve.count()) === 0) await page.goto(`${api}/console/approvals/${approvalId}`);
      await Promise.all([page.waitForURL(/\/confirm\?decision=approve$/), page.locator('a.approve').first().click()]);
      expect(await page.locator('.target-line').textContent()).toContain('plc-7 · zone line1-cell · Purdue level 1');
      await Promise.all([page.waitForURL(/\/decision$/), page.click('form[action$="/decision"] button[type=submit]')]);
      return page;
    };
    const bans = async () =>
      (await lab(fortigateUrl)).calls.filter((c) => c.path.endsWith('/banned/add_users') && c.status === 200);

    try {
      await eventually(() => (output.includes('API listening') ? true : undefined), 'dev mode to start', 90_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n${output}`);
        },
      );
      // The log says where the lab listens and how to see what it received.
      expect(output).toContain(`crowdstrike on ${crowdstrikeUrl}`);
      expect(output).toContain(`GET ${fortigateUrl}${LAB_INSPECT_PATH}`);

      // 1. The Splunk ransomware alert: the office laptop is contained, automatically (rule 2).
      const it1 = await post(
        `${api}/webhooks/splunk?token=${SPLUNK_TOKEN}`,
        {},
        readFileSync(join(REPO_ROOT, SPLUNK_SAMPLE), 'utf8'),
      );
      expect(it1.status).toBe(202);
      const laptop = await audit(it1.body.incidentId, ended);
      expect(types(laptop)).toEqual([
        'incident.opened',
        'alert.received',
        'playbook.started',
        'policy.decided',
        'action.executed',
        'policy.decided',
        'action.failed', // the account: the lab has no identity provider
        'playbook.completed',
      ]);
      expect(
        laptop.filter((r) => r.eventType === 'action.executed').map((r) => [r.stepId, r.decision?.rule]),
      ).toContainEqual(['contain-host', 'rule-2-auto-it']);
      const edr = await lab(crowdstrikeUrl);
      expect(edr.contained).toEqual([LAPTOP_AGENT]);
      expect(edr.calls.filter((c) => c.query['action_name'] === 'contain').map((c) => c.body)).toEqual([
        { ids: [LAPTOP_AGENT] },
      ]);
      expect(JSON.stringify(edr.calls)).not.toContain('dev-lab-crowdstrike-secret');
      expect(output).toContain('lab crowdstrike: POST /devices/entities/devices-actions/v2?action_name=contain -> 202');

      // 2. The Defender for IoT PLC-programming alert: a conduit block, held for two OT engineers.
      const ot = await post(
        `${api}/webhooks/defender-iot`,
        { authorization: `Bearer ${DEFENDER_TOKEN}` },
        readFileSync(join(REPO_ROOT, DEFENDER_SAMPLE), 'utf8'),
      );
      expect(ot.status).toBe(202);
      const plc = ot.body.incidentId;
      const approval = await eventually(async () => {
        const { body } = await json<{ approvals: { id: string; incidentId: string; requiredApprovals: number }[] }>(
          `${api}/approvals?status=pending`,
          { headers: as('omar') },
        );
        return body.approvals.find((a) => a.incidentId === plc);
      }, 'the conduit block approval');
      expect(approval.requiredApprovals).toBe(2);
      const alice = await approveInConsole(approval.id, 'alice');
      expect(await alice.locator('.refusal').textContent()).toMatch(/alice lacks a required role/);
      const omar = await approveInConsole(approval.id, 'omar');
      expect(await omar.locator('.notice.ok').textContent()).toMatch(/1 more approval\(s\) needed/);
      expect(await bans()).toEqual([]);
      const grace = await approveInConsole(approval.id, 'grace');
      expect(await grace.locator('.notice.ok').textContent()).toMatch(/the action runs now/);
      const block = await audit(plc, ended);
      expect(types(block)).toEqual([
        'incident.opened',
        'alert.received',
        'playbook.started',
        'policy.decided',
        'action.failed', // the logic-compare ticket: the lab has no ticketing tool
        'policy.decided',
        'approval.requested',
        'approval.refused',
        'approval.decided',
        'approval.decided',
        'action.executed',
        'playbook.completed',
      ]);
      const executed = block.find((r) => r.eventType === 'action.executed' && r.stepId === 'block-source-at-conduit');
      expect(executed).toMatchObject({
        decision: { rule: 'rule-7-dual-approval' },
        approval: { approvers: [{ operatorId: 'omar' }, { operatorId: 'grace' }] },
      });
      expect((await bans()).map((c) => c.body)).toEqual([expect.objectContaining({ ip_addresses: ['10.20.2.5'] })]);
      expect((await lab(fortigateUrl)).banned).toEqual([expect.objectContaining({ ip: '10.20.2.5' })]);

      // 3. Both timelines: the chain verifies, and each timeline page opens from its signed link.
      expect([await verified(it1.body.incidentId), await verified(plc)]).toEqual([true, true]);
      for (const incidentId of [it1.body.incidentId, plc]) {
        const link = await json<{ url: string }>(`${api}/incidents/${incidentId}/timeline-link`, {
          headers: as('alice'),
        });
        const { pathname, search } = new URL(link.body.url);
        const page = await fetch(`${api}${pathname}${search}`);
        expect({ status: page.status, mentions: (await page.text()).includes(incidentId) }).toEqual({
          status: 200,
          mentions: true,
        });
      }
      expect((await json<{ status: string }>(`${api}/health`)).body).toMatchObject({ status: 'up' });
    } finally {
      await browser?.close();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(embeddedPostgresDataDir(stateDir), { recursive: true, force: true });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    }
  }, 300_000);
});
