/**
 * The README and docs/ name commands, paths, routes and variables; this suite checks that each
 * one exists, so a rename in the code fails here instead of misleading a newcomer. Plain reads
 * of the repository: no stack, no network.
 *
 * What counts as a claim (chosen so prose is never flagged):
 * - relative links `[text](path#anchor)` outside code, and their anchors (GitHub heading slugs);
 * - `npm run <script>`, `npm test`, `npm start` anywhere;
 * - repository paths inside inline code or fenced blocks: a whitespace-separated token starting
 *   with one of PATH_ROOTS; a placeholder (`<format>`, `{id}`, `…`, `*`) checks the directory
 *   before it; `dist/src/x.js` checks `src/x.ts`;
 * - `INTERLOCK_*` variables anywhere (they must appear in src/, scripts/, test/support/ or config/);
 * - HTTP routes written `GET /path` and curl URLs of the local API (they must match a controller or
 *   Fastify route); `node dist/src/main.js <mode>` modes; the dev credentials the README's commands use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ACTION_TYPES } from '../../src/actions/catalog';
import { AUDIT_EVENT_TYPES } from '../../src/audit/types';
import { validatePlaybook } from '../../src/playbooks/schema';
import { POLICY_RULES } from '../../src/policy/policy-engine';

const ROOT = resolve(__dirname, '..', '..');
const README = 'README.md';
const README_MAX_BYTES = 12 * 1024;
const DOC_FILES = [
  README,
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const PATH_ROOTS = [
  'src',
  'test',
  'playbooks',
  'integrations',
  'scripts',
  'config',
  'docs',
  'bench',
  'slack',
  '.ci',
  'deploy',
];
const PATH_TOKEN = new RegExp(`^(?:\\./)?(?:${PATH_ROOTS.map((r) => r.replace('.', '\\.')).join('|')})/`);
const PLACEHOLDER = /[<>{}*…$]/;
/** Where a documented variable must be read: the code, or the `${VAR:-default}` of a shipped configuration. */
const ENV_SOURCE_DIRS = ['src', 'scripts', 'test/support', 'config'];
/** Code spans shaped like an audit event type, an action type or a policy rule name. */
const ENGINE_NAME =
  /^(?:(?:alert|incident|playbook|policy|approval|action|people|notification|task|edr|firewall|contain|release|identity|ot)\.[a-z]+(?:[-_][a-z]+)*|rule-\d+-[a-z-]+|read-only)$/;
const ENGINE_NAMES = new Set<string>([...AUDIT_EVENT_TYPES, ...ACTION_TYPES, ...POLICY_RULES]);
const DEV_CONFIG = read('config/interlock.dev.yaml');
const DEV_API_PORT = /port:\s*\$\{INTERLOCK_PORT:-(\d+)\}/.exec(DEV_CONFIG)?.[1];
/** The simulated lab's stand-ins (src/dev/lab) listen where the dev configuration points them. */
const DEV_LAB_PORTS = [...DEV_CONFIG.matchAll(/\$\{INTERLOCK_LAB_[A-Z]+_PORT:-(\d+)\}/g)].map((m) => m[1]);

/** The CLI's command tree (src/cli/): command names are its quoted words. */
const CLI_SOURCE = readdirSync(join(ROOT, 'src', 'cli'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => read(`src/cli/${name}`))
  .join('\n');
/** Command groups whose next word is a subcommand (`interlock audit verify`). */
const CLI_GROUPS = new Set(['incidents', 'approvals', 'audit', 'playbooks', 'config']);

/**
 * `interlock <command> [<subcommand>]` in code: a span or a line starting with it — not prose in
 * a block, nor a program's printed output (`interlock storm    …`, columns or placeholders).
 */
function interlockCommands(code: string[]): string[][] {
  return code.flatMap((text) =>
    text
      .split('\n')
      .filter((line) => !/^\s*interlock\s+\S+(?:\s{2,}|\s+…)/.test(line))
      .flatMap((line) => {
        const m = /^\s*interlock[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?/.exec(line);
        if (m === null) return [];
        const [command = '', sub] = [m[1], m[2]];
        return [CLI_GROUPS.has(command) && sub !== undefined ? [command, sub] : [command]];
      }),
  );
}

interface MarkdownFile {
  file: string;
  /** The text with fenced blocks blanked out (line numbers kept). */
  prose: string;
  /** Contents of the fenced code blocks. */
  fences: string[];
  /** Inline code spans outside fenced blocks. */
  codeSpans: string[];
  /** GitHub anchors of the file's headings. */
  anchors: Set<string>;
  text: string;
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** GitHub's heading anchor: lowercase, punctuation dropped, each space a dash. */
function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

function parseMarkdown(file: string): MarkdownFile {
  const text = read(file);
  const fences: string[] = [];
  const proseLines: string[] = [];
  let fence: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (fence === undefined) fence = [];
      else {
        fences.push(fence.join('\n'));
        fence = undefined;
      }
      proseLines.push('');
    } else if (fence !== undefined) {
      fence.push(line);
      proseLines.push('');
    } else proseLines.push(line);
  }
  const prose = proseLines.join('\n');
  const codeSpans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = headingSlug(m[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return { file, prose, fences, codeSpans, anchors, text };
}

const DOCS = DOC_FILES.map(parseMarkdown);
const byFile = new Map(DOCS.map((doc) => [doc.file, doc]));

/** Relative link targets outside code: inline links and reference definitions. */
function linksOf(doc: MarkdownFile): string[] {
  const prose = doc.prose.replace(/`[^`\n]+`/g, '');
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const references = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] ?? '');
  return [...inline, ...references].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Problems with one relative link of `doc`, or undefined when it resolves. */
function checkLink(doc: MarkdownFile, target: string): string | undefined {
  const [pathPart = '', anchor] = target.split('#', 2);
  const targetFile =
    pathPart === '' ? doc.file : relative(ROOT, resolve(ROOT, dirname(doc.file), decodeURIComponent(pathPart)));
  if (targetFile.startsWith('..') || targetFile.split(sep)[0] === '..') return `${target} leaves the repository`;
  if (!existsSync(join(ROOT, targetFile))) return `${target}: ${targetFile} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!targetFile.endsWith('.md')) return `${target}: an anchor into a file that is not markdown`;
  const anchors = byFile.get(targetFile)?.anchors ?? parseMarkdown(targetFile).anchors;
  return anchors.has(anchor) ? undefined : `${target}: no heading "#${anchor}" in ${targetFile}`;
}

/** The repository paths a code span or fenced block names, as written. */
function pathTokens(code: string): string[] {
  return code
    .split(/[\s'"(),;=|]+/)
    .map((token) => token.replace(/^@/, '').replace(/[.,:;]+$/, ''))
    .filter((token) => PATH_TOKEN.test(token) || /^dist\/(?:src|integrations)\/\S+\.js$/.test(token));
}

/** Problems with one path token, or undefined when it exists. */
function checkPath(token: string): string | undefined {
  const compiled = /^dist\/((?:src|integrations)\/\S+)\.js$/.exec(token);
  if (compiled !== null) {
    const source = `${compiled[1]}.ts`;
    return existsSync(join(ROOT, source)) ? undefined : `${token}: its source ${source} does not exist`;
  }
  const placeholderAt = token.search(PLACEHOLDER);
  const path =
    placeholderAt === -1 ? token.replace(/:\d+$/, '') : token.slice(0, token.lastIndexOf('/', placeholderAt) + 1);
  if (path === '' || !existsSync(join(ROOT, path))) return `${token} does not exist`;
  if (path.endsWith('/') && !statSync(join(ROOT, path)).isDirectory()) return `${token} is not a directory`;
  return undefined;
}

function everyCode(doc: MarkdownFile): string[] {
  return [...doc.codeSpans, ...doc.fences];
}

/** Paths a shell line in the docs creates (`cp a b`, `mkdir d`…): they need not exist yet. */
function createdPaths(code: string): Set<string> {
  const created = new Set<string>();
  for (const m of code.matchAll(/^\s*(?:cp|mv|touch|mkdir)\s[^#\n]*?(\S+)\s*(?:#.*)?$/gm)) created.add(m[1] ?? '');
  return created;
}

function filesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Routes the API serves: controller prefix + handler path (or a Fastify route's path), `:param` segments kept. */
function apiRoutes(): { method: string; segments: string[] }[] {
  const routes: { method: string; segments: string[] }[] = [];
  const split = (path: string) => path.split('/').filter((s) => s !== '');
  for (const file of filesUnder('src').filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(file, 'utf8');
    const controller = /@Controller\(\s*(?:'([^']*)'|\{\s*path:\s*'([^']*)'[^)]*\})?\s*\)/.exec(source);
    if (controller !== null) {
      const prefix = split(controller[1] ?? controller[2] ?? '');
      for (const m of source.matchAll(/@(Get|Post|Put|Patch|Delete)\(\s*(?:'([^']*)')?\s*\)/g))
        routes.push({ method: (m[1] ?? '').toUpperCase(), segments: [...prefix, ...split(m[2] ?? '')] });
    }
    // Fastify handlers registered through Nest's adapter (the webhook route): `.getHttpAdapter().post(ROUTE, …)`.
    for (const m of source.matchAll(
      /getHttpAdapter\(\)\s*\.(get|post|put|patch|delete)\(\s*(?:'([^']+)'|([A-Z_]+))/g,
    )) {
      const path = m[2] ?? new RegExp(`const ${m[3] ?? ''} = '([^']+)'`).exec(source)?.[1] ?? '';
      routes.push({ method: (m[1] ?? '').toUpperCase(), segments: split(path) });
    }
    for (const m of source.matchAll(/SwaggerModule\.setup\(\s*'([^']+)'[\s\S]*?jsonDocumentUrl:\s*'([^']+)'/g)) {
      routes.push({ method: 'GET', segments: split(m[1] ?? '') });
      routes.push({ method: 'GET', segments: split(m[2] ?? '') });
    }
  }
  return routes;
}

const ROUTES = apiRoutes();

/** Vendor API paths our connectors call (`integrations/`): the docs may quote them as `GET /…`. */
const VENDOR_PATHS = [
  ...new Set(
    filesUnder('integrations')
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/['`](\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)/g)])
      .map((m) => m[1] ?? ''),
  ),
].map((path) => path.split('/').filter((s) => s !== ''));

function isVendorPath(path: string): boolean {
  const segments = path.split('/').filter((s) => s !== '');
  // A one-segment endpoint (PAN-OS's `/api/`) covers itself only, not every path under it.
  return VENDOR_PATHS.some(
    (vendor) =>
      (vendor.length >= 2 || vendor.length === segments.length) &&
      vendor.every((segment, i) => segments[i] === segment),
  );
}

/**
 * Whether a route written in the docs exists: `GET /path` must match a route exactly; a URL
 * (no method) may also be the base of routes (`--codec-endpoint http://…/codec`).
 */
function matchesRoute(method: string | undefined, path: string): boolean {
  const segments = path.split('/').filter((s) => s !== '');
  return ROUTES.some(
    (route) =>
      (method === undefined || route.method === method) &&
      (method === undefined ? route.segments.length >= segments.length : route.segments.length === segments.length) &&
      segments.every((written, i) => {
        const expected = route.segments[i] ?? '';
        return expected.startsWith(':') || (!/^[{<].*[}>]$/.test(written) && expected === written);
      }),
  );
}

describe('README.md', () => {
  it(`is at most ${README_MAX_BYTES} bytes`, () => {
    expect(Buffer.byteLength(read(README))).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('uses the dev configuration: its credentials, its ports (API, lab) and the Temporal UI port of dev mode', () => {
    const readme = read(README);
    const credentials = [...new Set(readme.match(/\bdev-[a-z]+(?:-[a-z]+)*-(?:token|key)[-0-9]*/g) ?? [])];
    expect(credentials.length).toBeGreaterThan(0);
    expect(credentials.filter((c) => !new RegExp(`[\\s{:]${c}\\s*[,}\\n]`).test(DEV_CONFIG))).toEqual([]);

    const uiPort = /INTERLOCK_TEMPORAL_UI_PORT'\]\)\s*\?\?\s*(\d+)/.exec(read('src/main.ts'))?.[1];
    const testPgPort = /127\.0\.0\.1:(\d+)/.exec(read('test/support/pg.ts'))?.[1];
    expect([DEV_API_PORT, uiPort, testPgPort]).not.toContain(undefined);
    const ports = [...readme.matchAll(/\b(?:127\.0\.0\.1|localhost):(\d+)/g)].map((m) => m[1]);
    expect(DEV_LAB_PORTS.length).toBeGreaterThan(0);
    expect(ports.filter((port) => ![DEV_API_PORT, uiPort, testPgPort, ...DEV_LAB_PORTS].includes(port))).toEqual([]);
  });

  it('states the Node.js version package.json requires', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: { node: string } };
    const readme = read(README);
    const engines = /`engines`\s+requires\s+≥\s*(\d+)/.exec(readme)?.[1];
    const bundled = /Node\.js\s+(\d+)\s+as\s+the\s+`node`\s+devDependency/.exec(readme)?.[1];
    expect(engines).toBeDefined();
    expect(`>=${engines}`).toBe(pkg.engines.node);
    expect(pkg.devDependencies.node).toMatch(new RegExp(`^\\^${bundled}\\.`));
  });
});

describe.each(DOC_FILES)('%s', (file) => {
  const doc = byFile.get(file) as MarkdownFile;

  it('links only to files and headings that exist', () => {
    expect(linksOf(doc).flatMap((target) => checkLink(doc, target) ?? [])).toEqual([]);
  });

  it('names only npm scripts that package.json defines', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const named = [
      ...[...doc.text.matchAll(/\bnpm\s+run\s+([a-z0-9][a-z0-9:_-]*)/gi)].map((m) => m[1] ?? ''),
      ...[...doc.text.matchAll(/\bnpm\s+(test|start)\b/g)].map((m) => m[1] ?? ''),
    ];
    expect([...new Set(named)].filter((name) => !Object.hasOwn(scripts, name))).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const created = new Set(everyCode(doc).flatMap((code) => [...createdPaths(code)]));
    const tokens = [...new Set(everyCode(doc).flatMap(pathTokens))].filter((token) => !created.has(token));
    expect(tokens.flatMap((token) => checkPath(token) ?? [])).toEqual([]);
  });

  it('names only INTERLOCK_ variables the code reads', () => {
    const corpus = ENV_SOURCE_DIRS.flatMap(filesUnder)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const named = [...new Set(doc.text.match(/\bINTERLOCK_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])];
    expect(named.filter((name) => !new RegExp(`\\b${name}\\b`).test(corpus))).toEqual([]);
  });

  it('names only HTTP routes the API serves', () => {
    const written = [...doc.text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE)\s+(\/[^\s`'"),;[?]*)/g)].map((m) => ({
      method: m[1],
      path: m[2] ?? '',
    }));
    const curled = [
      ...doc.text.matchAll(new RegExp(`https?://(?:127\\.0\\.0\\.1|localhost):${DEV_API_PORT}(/[^\\s'"?\`)]*)`, 'g')),
    ].map((m) => ({
      method: undefined,
      path: (m[1] ?? '').replace(/[.,:;]+$/, ''),
    }));
    const unknown = [...written, ...curled]
      .filter(({ method, path }) => !matchesRoute(method, path) && !(method !== undefined && isVendorPath(path)))
      .map(({ method, path }) => `${method ?? '(curl)'} ${path}`);
    expect(unknown).toEqual([]);
  });

  it('names only audit event types, actions and policy rules the engine has', () => {
    const named = [...new Set(doc.codeSpans.filter((span) => ENGINE_NAME.test(span)))];
    expect(named.filter((name) => !ENGINE_NAMES.has(name))).toEqual([]);
  });

  it('runs only modes that src/main.ts knows', () => {
    const main = read('src/main.ts') + CLI_SOURCE;
    const modes = [...doc.text.matchAll(/(?:dist\/src\/main\.js|npm\s+start\s+--)\s+([a-z][a-z-]*)/g)].map((m) => m[1]);
    expect([...new Set(modes)].filter((mode) => !main.includes(`'${mode}'`))).toEqual([]);
  });

  it('runs only `interlock` commands the CLI has', () => {
    const unknown = interlockCommands([...doc.codeSpans, ...doc.fences]).filter(
      (words) => !words.every((word) => CLI_SOURCE.includes(`'${word}'`)),
    );
    expect(unknown.map((words) => `interlock ${words.join(' ')}`)).toEqual([]);
  });
});

describe('docs/policy.md', () => {
  const spans = new Set(byFile.get('docs/policy.md')?.codeSpans ?? []);

  it('describes every policy rule a decision can carry', () => {
    expect(POLICY_RULES.filter((rule) => !spans.has(rule))).toEqual([]);
  });

  it('lists every action of the catalog', () => {
    expect(ACTION_TYPES.filter((action) => !spans.has(action))).toEqual([]);
  });
});

describe('docs/workflow-changes.md', () => {
  /** The id of every patched()/deprecatePatch() in src/workflows/, by the string constant the call names. */
  const code = readdirSync(join(ROOT, 'src', 'workflows'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => read(`src/workflows/${name}`))
    .join('\n');
  const patchIds = [...code.matchAll(/(?:patched|deprecatePatch)\((\w+)\)/g)].map(
    ([, constant]) => new RegExp(`const ${constant ?? ''} = '([^']+)'`).exec(code)?.[1] ?? String(constant),
  );

  it("lists every patch id the workflows check in 'Patches in the code'", () => {
    const text = read('docs/workflow-changes.md');
    const section = /## Patches in the code\n([\s\S]*?)\n## /.exec(text)?.[1] ?? '';
    expect(patchIds.length).toBeGreaterThan(5);
    expect([...new Set(patchIds)].filter((id) => !section.includes(`| \`${id}\``))).toEqual([]);
  });
});

describe('docs/playbooks.md', () => {
  it('shows playbook examples that the playbook schema accepts', () => {
    const examples = (byFile.get('docs/playbooks.md')?.fences ?? []).filter((code) => /^steps:/m.test(code));
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(validatePlaybook(parseYaml(example))).toMatchObject({ ok: true });
  });
});

describe('the checks themselves', () => {
  it('find `interlock` commands in code and check their words', () => {
    expect(
      interlockCommands([
        'interlock audit verify-export x.json',
        'DATABASE_URL=…@db/interlock node \\\n  interlock prune',
        'src/cli/  the interlock command',
        'interlock storm    … alerts/s',
      ]),
    ).toEqual([['audit', 'verify-export'], ['prune']]);
    expect(CLI_SOURCE.includes(`'incidents'`) && !CLI_SOURCE.includes(`'frobnicate'`)).toBe(true);
  });

  const doc = (text: string): MarkdownFile => ({ ...parseMarkdown(README), prose: text, codeSpans: [], fences: [] });

  it('flag a renamed path, a placeholder under a missing folder, and a missing source of dist/', () => {
    expect(pathTokens('npm test -- test/intake/no-such.test.ts')).toEqual(['test/intake/no-such.test.ts']);
    expect(checkPath('test/intake/no-such.test.ts')).toBeDefined();
    expect(checkPath('src/no-such/<name>.ts')).toBeDefined();
    expect(checkPath('src/intake/normalizers/<format>.ts')).toBeUndefined();
    expect(checkPath('dist/src/no-such.js')).toBeDefined();
    expect(checkPath('dist/src/main.js')).toBeUndefined();
  });

  it('let a shell line create a path, and only the one it creates', () => {
    const code = 'cp config/interlock.dev.yaml config/mine.yaml   # then edit';
    expect([...createdPaths(code)]).toEqual(['config/mine.yaml']);
    expect(pathTokens(code).filter((token) => !createdPaths(code).has(token))).toEqual(['config/interlock.dev.yaml']);
  });

  it('tell engine names from configuration keys', () => {
    expect(
      ['policy.decided', 'task.create', 'rule-2-auto-it', 'edr.contain_host'].every((s) => ENGINE_NAME.test(s)),
    ).toBe(true);
    expect(
      ['policy.approvalTtl', 'playbooks.dir', 'slack.channel', 'incidents.closeAfterIdle'].some((s) =>
        ENGINE_NAME.test(s),
      ),
    ).toBe(false);
    expect(ENGINE_NAMES.has('policy.no-such')).toBe(false);
  });

  it('leave prose and URLs alone', () => {
    expect(pathTokens('POST /webhooks/{source} with token=dev and src: 10.0.0.1')).toEqual([]);
    expect(pathTokens('http://127.0.0.1:3000/incidents ../playbooks')).toEqual([]);
  });

  it('flag a missing file and a missing anchor, and compute GitHub anchors', () => {
    expect(checkLink(doc(''), 'docs/no-such.md')).toBeDefined();
    expect(checkLink(doc(''), 'docs/policy.md#no-such-heading')).toBeDefined();
    expect(headingSlug('Break-glass (rule 11)')).toBe('break-glass-rule-11');
    expect(headingSlug('Intake: storms and `batching`')).toBe('intake-storms-and-batching');
  });

  it('match routes by segment, with parameters', () => {
    expect(matchesRoute('GET', '/incidents/{id}/audit')).toBe(true);
    expect(matchesRoute(undefined, '/approvals/apr-1/decision')).toBe(true);
    expect(matchesRoute('GET', '/approvals/{id}/decision')).toBe(false);
    expect(matchesRoute('GET', '/incidents/{id}/no-such')).toBe(false);
    expect(matchesRoute('GET', '/incidents/{id}')).toBe(true);
    expect(matchesRoute('GET', '/ui')).toBe(false);
    expect(matchesRoute(undefined, '/ui')).toBe(true);
  });

  it('accept a vendor route only where a connector calls it', () => {
    expect(isVendorPath('/api/v2/monitor/user/banned')).toBe(true);
    expect(isVendorPath('/api/v3/no-such')).toBe(false);
    expect(isVendorPath('/api/')).toBe(true);
    expect(isVendorPath('/approvals')).toBe(false);
  });
});
