/**
 * The `interlock` command as an operator runs it (issue 19): `node bin/interlock.js …` as a
 * process against a real stack — API and worker processes, the Temporal dev server, PostgreSQL,
 * vendor stubs. Human output by default, `--json` that parses, and the documented exit codes
 * (docs/cli.md): 0 ok, 1 failed/refused, 2 usage or bad input, 3 API unavailable or key refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { acceptedIncident, pendingApprovalFor } from '../support/e2e';
import { API_KEYS, REPO_ROOT, eventually, freePort, startStack, type Stack } from '../support/stack';

const BIN = join(REPO_ROOT, 'bin', 'interlock.js');

let stack: Stack;
let workDir: string;
/** Everything the CLI printed in this file: no API key may ever appear in it. */
const printed: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  workDir = mkdtempSync(join(tmpdir(), 'interlock-cli-'));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/interlock.js …` as alice against the stack unless `env` says otherwise. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '' };
  for (const name of Object.keys(base))
    if (name.startsWith('INTERLOCK_') && name !== 'INTERLOCK_TEST_TEMPORAL_ADDRESS') delete base[name];
  const merged = { ...base, INTERLOCK_URL: stack.apiUrl, INTERLOCK_API_KEY: API_KEYS.alice, ...env };
  const childEnv = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      printed.push(stdout, stderr);
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Expects exit code `code`, showing the output when it differs. */
function expectCode(run: Run, code: number): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code, stderr: expect.any(String) });
}

/** The one line an error prints on stderr. */
function errorLine(run: Run): string {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

const file = (name: string, text: string) => {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
};

const S4_ALERT = {
  title: 'Modbus write to PLC',
  severity: 'high',
  time: '2026-11-20T11:00:00Z',
  src: { host: 'fin-lt-042', ip: '10.30.5.42' },
  dst: { host: 'plc-7', ip: '10.20.1.7' },
};
const bans = () => stack.fortigate.callsTo(FORTIGATE_ADD_USERS_PATH).filter((c) => c.status < 300);

describe('usage', () => {
  it('documents the commands and exit codes in --help (exit 0)', async () => {
    const run = await cli(['--help']);
    expectCode(run, 0);
    for (const command of [
      'api',
      'worker',
      'dev',
      'migrate',
      'incidents',
      'approvals',
      'audit',
      'playbooks',
      'config',
      'prune',
    ])
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/^ {2}3 {2}unavailable: API unreachable, API key missing or refused \(401\)/m);
  });

  it('refuses an unknown command, an unknown option and contradicting options in one line (exit 2)', async () => {
    const runs = await Promise.all(
      [
        ['frobnicate'],
        ['incidents', 'list', '--colour'],
        ['approvals', 'decide', 'apr-x', '--approve', '--reject'],
        ['approvals', 'decide', 'apr-x'],
        ['playbooks', 'dry-run', 's4-modbus-write-it-to-plc'],
        ['incidents', 'list', '--status', 'ajar'],
      ].map((args) => cli(args)),
    );
    for (const run of runs) {
      expectCode(run, 2);
      expect(errorLine(run)).toMatch(/^interlock: /);
      expect(run.stdout).toBe('');
    }
  });
});

describe('config check (offline)', () => {
  it('passes the stack configuration (exit 0), as JSON too', async () => {
    const [human, json] = await Promise.all([
      cli(['config', 'check', stack.configPath]),
      cli(['config', 'check', '--json'], { INTERLOCK_CONFIG: stack.configPath }),
    ]);
    expectCode(human, 0);
    expect(human.stdout).toMatch(
      /^OK .*: 2 source\(s\), 4 operator\(s\), 4 zone\(s\), 4 asset\(s\), \d+ playbook\(s\)$/m,
    );
    expectCode(json, 0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, file: stack.configPath, problems: [] });
  });

  it('names the field path of each problem (exit 1); an unreadable file is bad input (exit 2)', async () => {
    const bad = file('bad-config.yaml', 'server:\n  port: 99999\nzones:\n  - id: plant\n    purdueLevel: 7\n');
    const [human, json, missing] = await Promise.all([
      cli(['config', 'check', bad]),
      cli(['config', 'check', bad, '--json']),
      cli(['config', 'check', join(workDir, 'nowhere.yaml')]),
    ]);
    expectCode(human, 1);
    expect(human.stdout).toMatch(/^INVALID /);
    expect(human.stdout).toMatch(/^ {2}server\.port: /m);
    expect(human.stdout).toMatch(/^ {2}zones\.0\.purdueLevel: /m);
    expectCode(json, 1);
    const report = JSON.parse(json.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^server\.port: /)]));

    expectCode(missing, 2);
    expect(errorLine(missing)).toMatch(/^interlock: Cannot read configuration file .*nowhere\.yaml: ENOENT/);
  });
});

describe('playbooks validate (offline)', () => {
  it('passes the shipped playbooks (exit 0), with policy warnings from a configuration', async () => {
    const human = await cli(['playbooks', 'validate', join(REPO_ROOT, 'playbooks')]);
    expectCode(human, 0);
    expect(human.stdout).toMatch(/^OK +.*s4-modbus-write-it-to-plc\.yaml: s4-modbus-write-it-to-plc v\d+$/m);
    expect(human.stdout).toMatch(/^\d+ file\(s\): \d+ valid, 0 invalid$/m);
    const json = await cli([
      'playbooks',
      'validate',
      join(REPO_ROOT, 'playbooks', 's4-modbus-write-it-to-plc.yaml'),
      '--config',
      stack.configPath,
      '--json',
    ]);
    expectCode(json, 0);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      files: { valid: boolean; playbook: { id: string }; warnings: { path: string; outcome: string }[] }[];
    };
    expect(report.ok).toBe(true);
    expect(report.files[0]?.playbook.id).toBe('s4-modbus-write-it-to-plc');
    expect(report.files[0]?.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'steps.1', outcome: 'depends-on-target' })]),
    );
  });

  it('names file, line and field path of a bad playbook (exit 1); a missing path is bad input (exit 2)', async () => {
    const bad = file(
      'bad-playbook.yaml',
      [
        'id: bad-one',
        'name: Bad',
        'version: 1',
        'triggers:',
        '  - when: "true"',
        'steps:',
        '  - id: first',
        '    action: firewall.launch_missiles',
        '    target: plc-7',
        '',
      ].join('\n'),
    );
    const [human, json, missing] = await Promise.all([
      cli(['playbooks', 'validate', bad]),
      cli(['playbooks', 'validate', bad, '--json']),
      cli(['playbooks', 'validate', join(workDir, 'nope.yaml')]),
    ]);
    expectCode(human, 1);
    expect(human.stdout).toMatch(/^INVALID +.*bad-playbook\.yaml$/m);
    expect(human.stdout).toMatch(/bad-playbook\.yaml:8: steps\.0\.action: /);
    expectCode(json, 1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      files: [{ valid: false, issues: [{ path: 'steps.0.action', line: 8 }] }],
    });

    expectCode(missing, 2);
    expect(errorLine(missing)).toMatch(/^interlock: cannot read .*nope\.yaml: ENOENT/);
  });
});

describe('an S4 incident worked from the command line', () => {
  let incidentId: string;
  let approvalId: string;

  beforeAll(async () => {
    incidentId = await acceptedIncident(stack, { ...S4_ALERT, id: 'cli-s4-1' });
    approvalId = (await pendingApprovalFor(stack, incidentId)).id;
  });

  it('lists and shows the incident', async () => {
    const [human, json, show, detail] = await Promise.all([
      cli(['incidents', 'list']),
      cli(['incidents', 'list', '--json', '--severity', 'high', '--status', 'open']),
      cli(['incidents', 'show', incidentId]),
      cli(['incidents', 'show', incidentId, '--json']),
    ]);
    expectCode(human, 0);
    const [header, ...rows] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +STATUS +SEVERITY +OPENED +ZONES +CASE +TITLE$/);
    expect(rows.find((row) => row.startsWith(incidentId))).toMatch(/ open +high +.* Modbus write to PLC$/);

    expectCode(json, 0);
    const list = JSON.parse(json.stdout) as { incidents: { incidentId: string }[]; total: number };
    expect(list.incidents.map((i) => i.incidentId)).toContain(incidentId);

    expectCode(show, 0);
    expect(show.stdout).toMatch(new RegExp(`^incident +${incidentId}$`, 'm'));
    expect(show.stdout).toMatch(/^pending approvals$/m);
    expect(show.stdout).toContain(approvalId);
    expectCode(detail, 0);
    expect(JSON.parse(detail.stdout)).toMatchObject({ incidentId, pendingApprovals: [{ id: approvalId }] });
  });

  it('answers 400 for a malformed incident ID (exit 2) and 404 for an unknown one (exit 1)', async () => {
    const malformed = await cli(['incidents', 'show', 'not-an-incident']);
    expectCode(malformed, 2);
    expect(errorLine(malformed)).toMatch(/400 invalid_request: .*not an incident ID/);
    const unknown = await cli(['incidents', 'show', 'inc-000000000000000000000000']);
    expectCode(unknown, 1);
    expect(errorLine(unknown)).toMatch(/404 incident_not_found/);
  });

  it('dry-runs the playbook through the API: same decisions, nothing executed', async () => {
    const alert = file('s4-alert.json', JSON.stringify({ ...S4_ALERT, id: 'cli-s4-dry' }));
    const callsBefore = [stack.crowdstrike.calls.length, stack.fortigate.calls.length];
    const human = await cli(['playbooks', 'dry-run', 's4-modbus-write-it-to-plc', '--alert', alert]);
    expectCode(human, 0);
    expect(human.stdout).toMatch(/^s4-modbus-write-it-to-plc v\d+ on "Modbus write to PLC" \(high\): trigger matches;/);
    expect(human.stdout).toMatch(
      /^block-source-at-conduit +firewall\.quarantine_ip +plc-7 +line1-cell +approve +rule-7-dual-approval$/m,
    );
    const json = await cli(['playbooks', 'dry-run', 's4-modbus-write-it-to-plc', '--alert', alert, '--json']);
    expectCode(json, 0);
    const dry = JSON.parse(json.stdout) as { sideEffects: string; steps: { stepId: string; outcome: string }[] };
    expect(dry.sideEffects).toBe('none');
    expect(dry.steps.map((s) => [s.stepId, s.outcome])).toEqual([
      ['contain-source', 'auto'],
      ['block-source-at-conduit', 'approve'],
    ]);
    expect([stack.crowdstrike.calls.length, stack.fortigate.calls.length]).toEqual(callsBefore);

    const unknown = await cli(['playbooks', 'dry-run', 'no-such-playbook', '--alert', alert]);
    expectCode(unknown, 1);
    expect(errorLine(unknown)).toMatch(/404 playbook_not_found/);
    const notJson = await cli(['playbooks', 'dry-run', 's4-modbus-write-it-to-plc', '--alert', file('x.json', '{')]);
    expectCode(notJson, 2);
  });

  it('lists the pending approval and takes two OT engineers to approve it; the firewall is called once', async () => {
    const human = await cli(['approvals', 'list', '--incident', incidentId]);
    expectCode(human, 0);
    expect(human.stdout).toMatch(/^ID +STATUS +VOTES +ROLES +EXPIRES +INCIDENT +ACTION$/m);
    expect(human.stdout).toMatch(
      new RegExp(`^${approvalId} +pending +0/2 +ot-engineer +.* ${incidentId} +block 10\\.30\\.5\\.42`, 'm'),
    );
    const json = await cli(['approvals', 'list', '--json']);
    expectCode(json, 0);
    const listed = JSON.parse(json.stdout) as { approvals: { id: string; status: string }[] };
    expect(listed.approvals).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: approvalId, status: 'pending' })]),
    );
    expect(bans()).toHaveLength(0);

    // The API's validator decides: a SOC analyst lacks the OT role.
    const refused = await cli(['approvals', 'decide', approvalId, '--approve', '--reason', 'looks right']);
    expectCode(refused, 1);
    expect(errorLine(refused)).toMatch(/403 approver_not_authorized/);

    const first = await cli(['approvals', 'decide', approvalId, '--approve', '--reason', 'checked with the line'], {
      INTERLOCK_API_KEY: API_KEYS.omar,
    });
    expectCode(first, 0);
    expect(first.stdout).toBe(`${approvalId}: vote recorded; 1 more approval(s) needed\n`);
    const again = await cli(['approvals', 'decide', approvalId, '--approve'], { INTERLOCK_API_KEY: API_KEYS.omar });
    expectCode(again, 1);
    expect(errorLine(again)).toMatch(/409 duplicate_approver/);

    const keyFile = file('grace.key', `${API_KEYS.grace}\n`);
    const second = await cli(
      [
        'approvals',
        'decide',
        approvalId,
        '--approve',
        '--reason',
        'second pair of eyes',
        '--api-key-file',
        keyFile,
        '--json',
      ],
      { INTERLOCK_API_KEY: undefined },
    );
    expectCode(second, 0);
    expect(JSON.parse(second.stdout)).toEqual({ approvalId, status: 'approved', approvalsRemaining: 0 });

    const [ban] = await eventually(() => (bans().length > 0 ? bans() : undefined), 'the conduit block at the firewall');
    expect(ban?.body).toMatchObject({ ip_addresses: ['10.30.5.42'] });
    await new Promise((r) => setTimeout(r, 500));
    expect(bans()).toHaveLength(1);

    const late = await cli(['approvals', 'decide', approvalId, '--reject', '--reason', 'too late'], {
      INTERLOCK_API_KEY: API_KEYS.omar,
    });
    expectCode(late, 1);
    expect(errorLine(late)).toMatch(/409 approval_already_decided/);
  });

  it('verifies the chain, exports the incident three ways and verifies each export offline', async () => {
    const verify = await cli(['audit', 'verify']);
    expectCode(verify, 0);
    expect(verify.stdout).toMatch(/^OK: \d+ record\(s\) verified$/m);
    const verifyJson = await cli(['audit', 'verify', '--incident', incidentId, '--json']);
    expectCode(verifyJson, 0);
    expect(JSON.parse(verifyJson.stdout)).toMatchObject({ ok: true, checked: expect.any(Number) });

    const outputs = {
      json: join(workDir, 'export.json'),
      csv: join(workDir, 'export.csv'),
      evidence: join(workDir, 'ev.json'),
    };
    const exports: [string, string[]][] = [
      [outputs.json, []],
      [outputs.csv, ['--format', 'csv']],
      [outputs.evidence, ['--evidence']],
    ];
    // Independent downloads and checks run side by side (each is a process).
    await Promise.all(
      exports.map(async ([output, flags]) => {
        const run = await cli(['audit', 'export', incidentId, ...flags, '-o', output]);
        expectCode(run, 0);
        expect(run.stdout).toMatch(new RegExp(`^wrote ${output}: \\d+ record\\(s\\) of ${incidentId}`));
        const checked = await cli(['audit', 'verify-export', output]);
        expectCode(checked, 0);
        expect(checked.stdout).toMatch(/^OK .* record\(s\) rehashed/);
      }),
    );
    // To stdout: the export itself.
    const stdout = await cli(['audit', 'export', incidentId]);
    expectCode(stdout, 0);
    expect(JSON.parse(stdout.stdout)).toMatchObject({ incidentId, records: expect.any(Array) });

    const json = await cli(['audit', 'verify-export', outputs.evidence, '--json']);
    expectCode(json, 0);
    expect(JSON.parse(json.stdout)).toMatchObject({ file: outputs.evidence, ok: true, contiguous: true });
    // The command that existed before the tree, still there (and through dist/src/main.js).
    const legacy = await cli(['verify-export', outputs.json]);
    expectCode(legacy, 0);

    const tampered = file(
      'tampered.json',
      readFileSync(outputs.json, 'utf8').replace('Modbus write to PLC', 'Modbus read'),
    );
    const broken = await cli(['audit', 'verify-export', tampered]);
    expectCode(broken, 1);
    expect(broken.stdout).toMatch(/^BROKEN .*tampered\.json: record seq \d+ .*hash mismatch/);
    const unusable = await cli(['audit', 'verify-export', file('junk.json', '{ not json')]);
    expectCode(unusable, 2);
    expect(errorLine(unusable)).toMatch(/^interlock: .*junk\.json: /);
  });
});

describe('API access', () => {
  it('exits 3 for a refused API key, without printing it', async () => {
    const run = await cli(['incidents', 'list'], { INTERLOCK_API_KEY: 'wrong-key-0123456789abcdef' });
    expectCode(run, 3);
    expect(errorLine(run)).toMatch(/^interlock: the API refused the API key: 401 /);
    expect(run.stderr).not.toContain('wrong-key-0123456789abcdef');
  });

  it('exits 3 without an API key, and when the API cannot be reached', async () => {
    const keyless = await cli(['approvals', 'list'], { INTERLOCK_API_KEY: undefined });
    expectCode(keyless, 3);
    expect(errorLine(keyless)).toBe('interlock: no API key: set INTERLOCK_API_KEY or give --api-key-file <file>');
    const port = await freePort();
    const unreachable = await cli(['audit', 'verify', '--url', `http://127.0.0.1:${port}`]);
    expectCode(unreachable, 3);
    expect(errorLine(unreachable)).toBe(`interlock: cannot reach the API at http://127.0.0.1:${port}: ECONNREFUSED`);
    const notHttp = await cli(['incidents', 'list'], { INTERLOCK_URL: 'ftp://127.0.0.1/' });
    expectCode(notHttp, 2);
  });

  it('finds the API from INTERLOCK_CONFIG when no URL is given', async () => {
    const run = await cli(['audit', 'verify', '--json'], {
      INTERLOCK_URL: undefined,
      INTERLOCK_CONFIG: stack.configPath,
    });
    expectCode(run, 0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });

  it('prunes nothing younger than the retention (schema owner, exit 0)', async () => {
    const run = await cli(['prune', '--json'], { INTERLOCK_CONFIG: stack.configPath });
    expectCode(run, 0);
    expect(JSON.parse(run.stdout)).toMatchObject({ pruned: 0, cutoff: expect.any(String) });
  });
});

describe('secrets', () => {
  it('never printed an API key, in any run of this file', () => {
    expect(printed.length).toBeGreaterThan(50);
    const all = printed.join('\n');
    for (const key of Object.values(API_KEYS)) expect(all).not.toContain(key);
  });
});
