/**
 * docker-compose.yml and the Helm chart (deploy/helm/interlock) describe the same deployment:
 * one image whose entrypoint is the interlock command, the api / worker / migrate commands, the
 * environment variables the processes read, the ports, the probes' paths, migrations before the
 * processes, and the Temporal server version. Plain reads of the files (the rendered chart and
 * the compose model are checked by scripts/check-deploy.sh with helm, kubeconform and compose-go).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load';
import { SERVICE_MODES } from '../../src/cli/program';

const ROOT = resolve(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'interlock');
/** The server version issue 18 runs Interlock against (go.temporal.io/server). */
const TEMPORAL_SERVER_VERSION = '1.29.1';

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface Values {
  image: { repository: string };
  config: { file: string };
  api: { port: number; metricsPort: number; nodeOptions: string };
  worker: { metricsPort: number; nodeOptions: string };
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

const compose = parseYaml(read(join(ROOT, 'docker-compose.yml')), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const chart = parseYaml(read(join(CHART, 'Chart.yaml'))) as { appVersion: string; annotations: Record<string, string> };
const values = parseYaml(read(join(CHART, 'values.yaml'))) as Values;
const templates = Object.fromEntries(
  readdirSync(join(CHART, 'templates')).map((name) => [name, read(join(CHART, 'templates', name))]),
);
const template = (name: string): string => {
  const text = templates[name];
  if (text === undefined) throw new Error(`the chart has no template ${name}`);
  return text;
};

/** Variable names a chart template sets itself (`- name: X` under env), with the shared ones it includes. */
function chartEnv(name: string): string[] {
  let text = template(name);
  if (text.includes('include "interlock.env"'))
    text += template('_helpers.tpl').split('define "interlock.env"')[1]?.split('{{- end }}\n{{- end }}')[0];
  return [...new Set([...text.matchAll(/- name: ([A-Z][A-Z0-9_]+)\n/g)].map((m) => m[1] ?? ''))].sort();
}

describe('docker-compose.yml and the Helm chart agree', () => {
  it('run the same image, whose entrypoint is the interlock command', () => {
    const dockerfile = read(join(ROOT, 'Dockerfile'));
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/src/main.js"]');
    for (const name of ['interlock-api', 'interlock-worker', 'interlock-migrate'])
      expect(service(name).image?.split(':')[0]).toBe(values.image.repository);
    const packageJson = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string };
    expect(chart.appVersion).toBe(packageJson.version);
  });

  it('give each process the same command', () => {
    expect(service('interlock-api').command).toEqual(['api']);
    expect(service('interlock-worker').command).toEqual(['worker']);
    expect(service('interlock-migrate').command).toEqual(['migrate']);
    expect(template('api.yaml')).toContain("args: ['api']");
    expect(template('worker.yaml')).toContain("args: ['worker']");
    expect(template('migrations.yaml')).toContain("args: ['migrate']");
    // The modes exist (the command tree's service modes, src/cli/program.ts).
    expect([...SERVICE_MODES]).toEqual(expect.arrayContaining(['api', 'worker', 'migrate']));
  });

  it('set the same environment variables, with the same configuration path', () => {
    const names = (s: ComposeService): string[] => Object.keys(s.environment ?? {}).sort();
    expect(chartEnv('api.yaml')).toEqual(names(service('interlock-api')));
    expect(chartEnv('worker.yaml')).toEqual(names(service('interlock-worker')));
    expect(chartEnv('migrations.yaml')).toEqual(names(service('interlock-migrate')));
    expect(service('interlock-api').environment?.['INTERLOCK_CONFIG']).toBe('/etc/interlock/interlock.yaml');
    expect(template('_helpers.tpl')).toContain('value: /etc/interlock/interlock.yaml');
    expect(service('interlock-api').environment?.['INTERLOCK_HOST']).toBe('0.0.0.0');
    expect(service('interlock-api').environment?.['INTERLOCK_PORT']).toBe(String(values.api.port));
  });

  it('serve the API on the same port and probe the same health paths', () => {
    expect(service('interlock-api').ports).toEqual([`${values.api.port}:${values.api.port}`]);
    expect(read(join(ROOT, 'Dockerfile'))).toContain(`EXPOSE ${values.api.port}`);
    const healthcheck = service('interlock-api').healthcheck?.test.join(' ') ?? '';
    expect(healthcheck).toContain(`http://127.0.0.1:${values.api.port}/health/ready`);
    expect(template('api.yaml')).toContain('httpGet: { path: /health/ready, port: http }');
    expect(template('api.yaml')).toContain('httpGet: { path: /health/live, port: http }');
    expect(template('worker.yaml')).toContain('httpGet: { path: /health/ready, port: metrics }');
  });

  it("cap each process's memory the same way (docs/operations.md#worker-and-api-memory)", () => {
    expect(service('interlock-api').environment?.['NODE_OPTIONS']).toBe(values.api.nodeOptions);
    expect(service('interlock-worker').environment?.['NODE_OPTIONS']).toBe(values.worker.nodeOptions);
    expect(values.api.nodeOptions).toMatch(/--max-old-space-size=\d+/);
    expect(values.worker.nodeOptions).toMatch(/--max-old-space-size=\d+/);
    expect(template('api.yaml')).toContain('value: {{ .Values.api.nodeOptions | quote }}');
    expect(template('worker.yaml')).toContain('value: {{ .Values.worker.nodeOptions | quote }}');
    // One image for both: glibc's arenas are limited there.
    expect(read(join(ROOT, 'Dockerfile'))).toContain('ENV MALLOC_ARENA_MAX=2');
    // ...and jemalloc is preloaded, which gives freed memory back (the API's 200 MB budget).
    expect(read(join(ROOT, 'Dockerfile'))).toMatch(
      /libjemalloc2[\s\S]*ENV LD_PRELOAD=\/usr\/local\/lib\/libjemalloc\.so\.2/,
    );
  });

  it('migrate before the processes start', () => {
    for (const name of ['interlock-api', 'interlock-worker'])
      expect(service(name).depends_on?.['interlock-migrate']?.condition).toBe('service_completed_successfully');
    expect(template('migrations.yaml')).toContain('helm.sh/hook: pre-install,pre-upgrade');
  });

  it(`run against Temporal server ${TEMPORAL_SERVER_VERSION}`, () => {
    expect(service('temporal').image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    expect(chart.annotations['interlock.dev/temporal-server-version']).toBe(TEMPORAL_SERVER_VERSION);
  });
});

describe("the chart's default configuration file", () => {
  const env = { TEMPORAL_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), GENERIC_TOKEN: 'token' };

  it('is accepted by the configuration loader, with the variables the chart sets', () => {
    const config = parseConfig(values.config.file, {
      ...env,
      INTERLOCK_HOST: '0.0.0.0',
      INTERLOCK_PORT: String(values.api.port),
      DATABASE_URL: 'postgres://interlock@postgres:5432/interlock',
      TEMPORAL_ADDRESS: 'temporal:7233',
    });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: values.api.port });
    expect(config.database.url).toBe('postgres://interlock@postgres:5432/interlock');
    expect(config.temporal.address).toBe('temporal:7233');
  });

  it("serves metrics where the chart's probes, Services and ServiceMonitors look", () => {
    const config = parseConfig(values.config.file, env);
    expect(config.metrics).toMatchObject({
      host: '0.0.0.0',
      port: values.api.metricsPort,
      workerPort: values.worker.metricsPort,
    });
  });
});
