/**
 * The audit trail end to end (issue 6), with the API and worker running as a least-privileged
 * database login (member of interlock_app; the schema migrated beforehand by the owner):
 * S4 timeline page in headless Chromium, exports verified offline by the CLI, the incident
 * list, 50 concurrent incidents on one chain, and superuser tampering named by /audit/verify.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import type { AuditRecord } from '../../src/audit/types';
import { runMigrations } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { modbusWriteAlert } from '../support/scenarios';
import { createTestDatabase } from '../support/pg';
import { createServiceLogin } from '../support/pg-cluster';
import { auditOf, decide, types } from '../support/e2e';
import { API_KEYS, REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let login: Awaited<ReturnType<typeof createServiceLogin>>;
let owner: Pool;
let stack: Stack;
let browser: Browser;
let s4: string;
const workDir = mkdtempSync(join(tmpdir(), 'interlock-audit-e2e-'));

beforeAll(async () => {
  db = await createTestDatabase();
  owner = createPool(db.url);
  await runMigrations(owner);
  login = await createServiceLogin(db.url);
  [stack, browser] = await Promise.all([
    startStack({ databaseUrl: login.url }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await owner?.end();
  await db?.drop();
  await login?.drop();
});

function verifyExportCli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

describe('S4 incident timeline, exports and evidence', () => {
  let approvalId: string;

  it('shows the pending approval on the timeline page opened from a signed link', async () => {
    const response = await stack.webhook('generic', modbusWriteAlert('s4-audit-0001'));
    expect(response.status).toBe(202);
    s4 = ((await response.json()) as { incidentId: string }).incidentId;
    approvalId = await eventually(async () => {
      const r = await stack.api(`/approvals?status=pending&incidentId=${s4}`, { operator: 'omar' });
      return ((await r.json()) as { approvals: { id: string }[] }).approvals[0]?.id;
    }, 'the pending approval');

    const unauthenticated = await fetch(`${stack.apiUrl}/ui/incidents/${s4}`);
    expect(unauthenticated.status).toBe(401);
    const linkResponse = await stack.api(`/incidents/${s4}/timeline-link`, { operator: 'omar' });
    const { url } = (await linkResponse.json()) as { url: string };
    const forged = await fetch(url.replace(/sig=[0-9a-f]{4}/, 'sig=0000'));
    expect(forged.status).toBe(401);

    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    try {
      expect((await page.goto(url))?.status()).toBe(200);
      const pending = page.locator('section.pending');
      await expect(pending.textContent()).resolves.toMatch(/firewall\.quarantine_ip on plc-7 — 0\/2 approvals/);
      expect(await pending.textContent()).toContain('rule-7-dual-approval');
    } finally {
      await page.close();
    }
  });

  it('shows the alert, each decision with its rule, the approvers and the action results', async () => {
    for (const operator of ['omar', 'grace'] as const) {
      const vote = await decide(stack, approvalId, operator, { decision: 'approve', reason: 'conduit block ok' });
      expect(vote.status).toBe(200);
    }
    await auditOf(stack, s4, (r) => types(r).includes('playbook.completed'));

    const context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      extraHTTPHeaders: { authorization: `Bearer ${API_KEYS.alice}` },
    });
    const page = await context.newPage();
    try {
      expect((await page.goto(`${stack.apiUrl}/ui/incidents/${s4}`))?.status()).toBe(200);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'timeline-s4.png'), fullPage: true });

      const alert = page.locator('tr[data-event="alert.received"]');
      expect(await alert.textContent()).toContain('Modbus write to PLC from IT host');
      const decisions = await page.locator('tr[data-event="policy.decided"]').allTextContents();
      expect(decisions).toEqual([
        expect.stringMatching(/step contain-source.*decision auto by rule rule-2-auto-it/s),
        expect.stringMatching(/step block-source-at-conduit.*decision approve by rule rule-7-dual-approval/s),
      ]);
      const votes = await page.locator('tr[data-event="approval.decided"]').allTextContents();
      expect(votes.join('\n')).toMatch(/Omar Haddad \(omar\) approve at 20\d\d-/);
      expect(votes.join('\n')).toMatch(/Grace Lin \(grace\) approve at 20\d\d-/);
      const actions = await page.locator('tr[data-event="action.executed"]').allTextContents();
      expect(actions).toEqual([
        expect.stringMatching(/edr\.contain_host via crowdstrike.*result succeeded/s),
        expect.stringMatching(/firewall\.quarantine_ip via fortigate.*result succeeded/s),
      ]);
      expect(await page.locator('section.pending').count()).toBe(0);
      expect(await page.locator('.meta').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('audit chain: verified')]),
      );
    } finally {
      await context.close();
    }
  });

  it('escapes alert content on the page', async () => {
    const response = await stack.webhook('generic', {
      id: 'xss-0001',
      severity: 'low',
      title: '<img src=x onerror=alert(1)><script>document.title="pwned"</script>',
    });
    const { incidentId } = (await response.json()) as { incidentId: string };
    await auditOf(stack, incidentId, (r) => types(r).includes('alert.received'));
    const html = await (
      await fetch(`${stack.apiUrl}/ui/incidents/${incidentId}`, {
        headers: { authorization: `Bearer ${API_KEYS.alice}` },
      })
    ).text();
    expect(html).not.toContain('<script>document');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;');
  });

  it('exports JSON, CSV and the evidence bundle with every record, and each verifies offline', async () => {
    const records = await auditOf(stack, s4, (r) => types(r).includes('playbook.completed'));
    const json = await (await stack.api(`/incidents/${s4}/audit?format=json`, { operator: 'alice' })).text();
    const csv = await (await stack.api(`/incidents/${s4}/audit?format=csv`, { operator: 'alice' })).text();
    const evidenceResponse = await stack.api(`/incidents/${s4}/evidence`, { operator: 'grace' });
    expect(evidenceResponse.status).toBe(200);
    const evidence = (await evidenceResponse.json()) as Record<string, unknown> & {
      records: AuditRecord[];
      verification: { database: { ok: boolean }; segment: { ok: boolean; contiguous: boolean } };
      generatedBy: { operatorId: string };
      summary: { operators: string[]; rules: string[] };
    };
    expect((JSON.parse(json) as { records: AuditRecord[] }).records.map((r) => r.seq)).toEqual(
      records.map((r) => r.seq),
    );
    expect(csv.trimEnd().split('\r\n')).toHaveLength(records.length + 1);
    expect(evidence).toMatchObject({
      format: 'interlock-evidence/1',
      incidentId: s4,
      generatedBy: { operatorId: 'grace' },
      verification: { database: { ok: true }, segment: { ok: true, contiguous: true } },
      summary: { operators: ['grace', 'omar'], rules: ['rule-2-auto-it', 'rule-7-dual-approval'] },
    });
    expect(evidence.records).toHaveLength(records.length);

    const files = { json: join(workDir, 's4.json'), csv: join(workDir, 's4.csv'), evidence: join(workDir, 'ev.json') };
    writeFileSync(files.json, json);
    writeFileSync(files.csv, csv);
    writeFileSync(files.evidence, JSON.stringify(evidence));
    for (const file of Object.values(files)) {
      const viaMain = await verifyExportCli(['dist/src/main.js', 'verify-export', file]);
      expect(viaMain).toEqual({ code: 0, stdout: expect.stringMatching(/^OK /) as unknown });
    }
    const direct = await verifyExportCli(['dist/src/cli/verify-export.js', files.evidence]);
    expect(direct.stdout).toMatch(new RegExp(`OK .*${records.length} record\\(s\\) rehashed.*contiguous segment`));

    // The alert title changed in each export: the CLI names the first record carrying it.
    for (const [file, text] of [
      [files.csv, csv],
      [files.json, json],
    ] as const) {
      const tampered = join(workDir, `tampered-${file.endsWith('.csv') ? 'x.csv' : 'x.json'}`);
      writeFileSync(tampered, text.replace('Modbus write to PLC from IT host', 'Routine Modbus read'));
      const result = await verifyExportCli(['dist/src/main.js', 'verify-export', tampered]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`^BROKEN .*record seq ${records[0]?.seq} .*hash mismatch`));
    }
  });

  it('describes the incident: alerts, runs, approvals, actions and links', async () => {
    const response = await stack.api(`/incidents/${s4}`, { operator: 'alice' });
    expect(response.status).toBe(200);
    const detail = (await response.json()) as Record<string, unknown>;
    expect(detail).toMatchObject({
      incidentId: s4,
      status: 'RUNNING',
      summary: { status: 'open', severity: 'high', zones: expect.arrayContaining(['line1-cell', 'corp']) as unknown },
      alerts: [{ eventType: 'alert.received', trigger: { title: 'Modbus write to PLC from IT host' } }],
      runs: [{ playbookId: 's4-modbus-write-it-to-plc', status: 'completed' }],
      approvals: [{ status: 'approved' }],
      pendingApprovals: [],
      actions: [
        { eventType: 'action.executed', action: { type: 'edr.contain_host' }, result: { status: 'succeeded' } },
        { eventType: 'action.executed', action: { type: 'firewall.quarantine_ip' }, result: { status: 'succeeded' } },
      ],
      links: { timeline: `/ui/incidents/${s4}`, evidence: `/incidents/${s4}/evidence` },
    });
    expect((await stack.api('/incidents/inc-000000000000000000000000', { operator: 'alice' })).status).toBe(404);
  });
});

describe('incidents list and many concurrent incidents', () => {
  const CONCURRENT = 50;
  let ids: string[];

  it('writes one gapless, verifiable chain for 50 incidents running concurrently', async () => {
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const response = await stack.webhook('generic', {
          id: `storm-${i}`,
          severity: 'critical',
          title: 'Ransomware behaviour detected',
          rule: { id: `rw-${i}`, name: 'Ransomware' },
          hosts: [{ name: `lt-${i}`, ip: `10.30.7.${i + 1}` }],
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { incidentId: string }).incidentId;
      }),
    );
    ids = answers;
    expect(new Set(ids).size).toBe(CONCURRENT);
    for (const id of ids) {
      await auditOf(
        stack,
        id,
        (r) => types(r).some((t) => t === 'playbook.completed' || t === 'playbook.failed'),
        90_000,
      );
    }
    const { rows } = await owner.query<{ count: string; max: string; keys: string }>(
      'SELECT count(*) AS count, max(seq) AS max, count(DISTINCT idempotency_key) AS keys FROM audit_events',
    );
    const total = Number(rows[0]?.count);
    expect(Number(rows[0]?.max)).toBe(total);
    expect(Number(rows[0]?.keys)).toBe(total);
    const verify = await stack.api('/audit/verify', { operator: 'alice' });
    expect(await verify.json()).toEqual({ ok: true, checked: total });
  }, 180_000);

  it('lists incidents from the audit trail with filters and pagination', async () => {
    const list = async (query: string) => {
      const response = await stack.api(`/incidents?${query}`, { operator: 'alice' });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        incidents: { incidentId: string; severity: string; zones: string[]; sources: string[] }[];
        total: number;
        nextOffset?: number;
      };
    };
    const critical = await list('severity=critical&limit=20');
    expect(critical.total).toBe(CONCURRENT);
    expect(critical.incidents).toHaveLength(20);
    expect(critical.nextOffset).toBe(20);
    const page3 = await list('severity=critical&limit=20&offset=40');
    expect(page3.incidents).toHaveLength(10);
    expect(page3.nextOffset).toBeUndefined();
    const all = [
      ...critical.incidents,
      ...(await list('severity=critical&limit=20&offset=20')).incidents,
      ...page3.incidents,
    ];
    expect(new Set(all.map((i) => i.incidentId))).toEqual(new Set(ids));

    const plc = await list('zone=line1-cell&source=generic&status=open');
    expect(plc.incidents.map((i) => i.incidentId)).toEqual([s4]);
    expect((await list('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).total).toBe(0);
    const bad = await stack.api('/incidents?severity=bad&limit=0', { operator: 'alice' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['severity', 'limit']),
    );
  });
});

describe('tampering', () => {
  it('refuses the service login editing audit rows, and names a superuser edit in /audit/verify', async () => {
    const service = createPool(login.url);
    try {
      await expect(
        service.query(`UPDATE audit_events SET event_type = 'x' WHERE incident_id = $1`, [s4]),
      ).rejects.toThrow(/permission denied/);
      await expect(service.query('DELETE FROM audit_events WHERE incident_id = $1', [s4])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await service.end();
    }
    const { rows } = await owner.query<{ seq: string; idempotency_key: string }>(
      `SELECT seq, idempotency_key FROM audit_events WHERE incident_id = $1 AND event_type = 'approval.decided' ORDER BY seq LIMIT 1`,
      [s4],
    );
    const target = rows[0];
    const client = await owner.connect();
    try {
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await client.query(
        `UPDATE audit_events SET record = jsonb_set(record, '{actor,id}', '"mallory"') WHERE seq = $1`,
        [target?.seq],
      );
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    } finally {
      client.release();
    }
    for (const path of ['/audit/verify', `/audit/verify?incidentId=${s4}`]) {
      const body = (await (await stack.api(path, { operator: 'alice' })).json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        ok: false,
        firstBroken: {
          seq: Number(target?.seq),
          idempotencyKey: target?.idempotency_key,
          incidentId: s4,
          eventType: 'approval.decided',
          reason: expect.stringMatching(/hash mismatch/) as unknown,
        },
      });
    }
  });
});
