import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_TYPES } from '../../src/actions/catalog';
import {
  checkPlaybookYaml,
  loadPlaybooks,
  parsePlaybookYaml,
  PlaybookLoadError,
  YAML_LIMITS,
} from '../../src/playbooks/loader';

const SHIPPED_DIR = join(__dirname, '..', '..', 'playbooks');

const VALID = `id: one
name: One
version: 1
triggers:
  - when: alert.title.contains("x")
steps:
  - id: contain
    action: edr.contain_host
    target: host-1
`;

describe('shipped playbooks', () => {
  it('load and validate from the real playbooks/ directory', async () => {
    const playbooks = await loadPlaybooks(SHIPPED_DIR);
    expect(playbooks.map((p) => p.id)).toEqual([
      'enrich-then-contain',
      's1-ransomware-office-laptop',
      's2-unauthorized-plc-programming',
      's3-new-device-level2',
      's4-modbus-write-it-to-plc',
      's5-plc-stop-command',
      's6-traffic-to-sis',
      's7-unknown-ip-target',
    ]);
    for (const playbook of playbooks) {
      for (const step of playbook.steps) expect(ACTION_TYPES).toContain(step.action);
    }
  });

  it('S4 contains the source first, then quarantines its IP at the conduit, with no approval step', async () => {
    const s4 = (await loadPlaybooks(SHIPPED_DIR)).find((p) => p.id === 's4-modbus-write-it-to-plc');
    expect(s4?.steps.map((s) => [s.id, String(s.action)])).toEqual([
      ['contain-source', 'edr.contain_host'],
      ['block-source-at-conduit', 'firewall.quarantine_ip'],
    ]);
    expect(s4?.steps[1]?.params).toEqual({ ip: '{{ alert.src.ip }}' });
  });
});

describe('loadPlaybooks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'interlock-playbooks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads .yaml and .yml files in name order and ignores others', async () => {
    await writeFile(join(dir, 'b.yml'), VALID.replace('id: one', 'id: two'));
    await writeFile(join(dir, 'a.yaml'), VALID);
    await writeFile(join(dir, 'notes.txt'), 'not a playbook');
    await writeFile(join(dir, 'playbook.schema.json'), '{}');
    expect((await loadPlaybooks(dir)).map((p) => p.id)).toEqual(['one', 'two']);
  });

  it('rejects duplicate playbook ids across files', async () => {
    await writeFile(join(dir, 'a.yaml'), VALID);
    await writeFile(join(dir, 'b.yaml'), VALID);
    const error = await loadPlaybooks(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaybookLoadError);
    expect((error as PlaybookLoadError).issues).toEqual([
      { file: join(dir, 'b.yaml'), path: 'id', message: 'duplicate playbook id "one" (also in a.yaml)' },
    ]);
  });

  it('reports every invalid file with file, field path and line', async () => {
    await writeFile(join(dir, 'a.yaml'), VALID.replace('edr.contain_host', 'edr.wipe_host'));
    await writeFile(
      join(dir, 'b.yaml'),
      VALID.replace('id: one', 'id: two').replace('alert.title.contains("x")', 'alert.title.contains('),
    );
    const error = (await loadPlaybooks(dir).catch((e: unknown) => e)) as PlaybookLoadError;
    expect(error).toBeInstanceOf(PlaybookLoadError);
    expect(error.issues).toEqual([
      expect.objectContaining({ file: join(dir, 'a.yaml'), path: 'steps.0.action', line: 8 }),
      expect.objectContaining({ file: join(dir, 'b.yaml'), path: 'triggers.0.when', line: 5 }),
    ]);
    expect(error.message).toContain(`${join(dir, 'a.yaml')}:8: steps.0.action: unknown action "edr.wipe_host"`);
  });

  it('fails on a missing directory', async () => {
    await expect(loadPlaybooks(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('parsePlaybookYaml', () => {
  it('parses one playbook', () => {
    expect(parsePlaybookYaml(VALID).steps[0]).toEqual({
      id: 'contain',
      action: 'edr.contain_host',
      target: 'host-1',
      onFailure: 'stop',
    });
  });

  it('names the file and line of an approval key', () => {
    const text = VALID.replace('    target: host-1', '    target: host-1\n    approval: true');
    expect(() => parsePlaybookYaml(text, 'mine.yaml')).toThrow(
      /mine\.yaml:10: steps\.0\.approval: unknown key: approvals are enforced by the engine/,
    );
  });

  it('rejects YAML syntax errors and duplicate keys', () => {
    const syntax = checkPlaybookYaml('id: [unclosed\n', 'x.yaml');
    expect(syntax.ok).toBe(false);
    expect(!syntax.ok && syntax.issues[0]).toMatchObject({ file: 'x.yaml', path: '(yaml)' });

    const duplicate = checkPlaybookYaml(
      VALID.replace('    target: host-1', '    target: host-1\n    target: host-2'),
      'x.yaml',
    );
    expect(!duplicate.ok && duplicate.issues).toMatchObject([{ path: '(yaml)', line: 10 }]);
    expect(!duplicate.ok && duplicate.issues[0]?.message).toMatch(/unique/i);
  });

  it('refuses an alias bomb ("billion laughs") quickly, as a resource limit', () => {
    let bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 0, prev = 'a'; i < 9; prev = `n${i}`, i++)
      bomb += `n${i}: &n${i} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    const started = Date.now();
    const result = checkPlaybookYaml(bomb, 'bomb.yaml');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ ok: false, limit: true, issues: [{ path: '(yaml)', message: /alias/ }] });
  });

  it('refuses nesting deeper than the limit, in block or flow style, without overflowing the stack', () => {
    const depth = YAML_LIMITS.maxDepth + 1;
    const block = Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(checkPlaybookYaml(block)).toMatchObject({ ok: false, limit: true, issues: [{ message: /nesting/ }] });
    expect(checkPlaybookYaml(`a: ${'['.repeat(depth)}${']'.repeat(depth)}`)).toMatchObject({
      ok: false,
      limit: true,
    });
    // Far deeper than the parser's stack: its RESOURCE_EXHAUSTION error is a limit too.
    expect(checkPlaybookYaml('['.repeat(30_000) + ']'.repeat(30_000))).toMatchObject({ ok: false, limit: true });
    // At the limit a document is judged as usual.
    const atLimit = checkPlaybookYaml(
      `a: ${'['.repeat(YAML_LIMITS.maxDepth - 1)}${']'.repeat(YAML_LIMITS.maxDepth - 1)}`,
    );
    expect(atLimit).toMatchObject({ ok: false, limit: false });
  });

  it('reports an unresolved alias as an ordinary YAML issue, not a limit', () => {
    expect(checkPlaybookYaml('id: *nope\n')).toMatchObject({
      ok: false,
      limit: false,
      issues: [{ path: '(yaml)', message: /alias/i }],
    });
  });

  it('rejects a document that is not a mapping', () => {
    expect(() => parsePlaybookYaml('- just\n- a list\n', 'list.yaml')).toThrow(/list\.yaml: \(root\): /);
  });
});
