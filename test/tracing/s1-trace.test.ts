/**
 * Traces (issue 19): one S1 delivery is one trace, a single tree from the webhook's HTTP server
 * span through the intake's Temporal call, the incident workflow and its admission activity, to
 * the CrowdStrike containment call. The API and the worker run in this process (createApiApp,
 * startWorker) against the real Temporal dev server and PostgreSQL, with the SDK's in-memory
 * exporter behind the same redaction the OTLP exporter gets; the CrowdStrike stub speaks Falcon's
 * API. Also: no span carries the webhook token (sent as Splunk sends it, `?token=`), the Falcon
 * client secret or the bearer token, and the traced histories replay with the bundled interceptors.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createApiApp } from '../../src/api/create-app';
import { parseConfig } from '../../src/config/load';
import type { InterlockConfig } from '../../src/config/schema';
import { createLogger } from '../../src/logging';
import { createServices, type Services } from '../../src/runtime/services';
import { payloadCodecFor, temporalDataConverter } from '../../src/runtime/temporal-encryption';
import { startTracing, workerTracing, type Tracing } from '../../src/tracing';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';
import { startWorker, type RunningWorker } from '../../src/worker/worker';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, startCrowdStrikeStub, type CrowdStrikeStub } from '../stubs';
import { createTestDatabase } from '../support/pg';
import {
  CROWDSTRIKE_AGENT_FIN_LT_042,
  REPO_ROOT,
  TOKENS,
  eventually,
  registerNamespace,
  stackConfig,
} from '../support/stack';

const SPLUNK_SAMPLE = readFileSync(join(REPO_ROOT, 'test', 'intake', 'fixtures', 'splunk.json'), 'utf8');
const CLIENT_SECRET = 'interlock-test-secret';
const address = process.env['INTERLOCK_TEST_TEMPORAL_ADDRESS'] ?? '';
const namespace = `trace-${randomBytes(4).toString('hex')}`;

const exporter = new InMemorySpanExporter();
const closers: (() => Promise<unknown>)[] = [];
let tracing: Tracing;
let config: InterlockConfig;
let services: Services;
let crowdstrike: CrowdStrikeStub;
let client: Client;
let apiUrl: string;
/** Authorization headers the process sent (node's http client channel): the Falcon bearer token among them. */
const sentAuthorizations: string[] = [];
const onRequest = (message: unknown) => {
  const header = (message as { request: ClientRequest }).request.getHeader('authorization');
  if (typeof header === 'string') sentAuthorizations.push(header);
};

beforeAll(async () => {
  tracing = startTracing({ headers: {}, serviceName: 'interlock-test', sampleRatio: 1 }, { process: 'dev', exporter });
  closers.push(() => tracing.shutdown());
  subscribe('http.client.request.start', onRequest);
  const db = await createTestDatabase();
  closers.push(() => db.drop());
  crowdstrike = await startCrowdStrikeStub({ clientId: 'interlock-test-client', clientSecret: CLIENT_SECRET });
  closers.push(() => crowdstrike.close());
  await registerNamespace(address, namespace);
  config = parseConfig(
    JSON.stringify(
      stackConfig({
        port: 0,
        temporal: address,
        namespace,
        taskQueue: namespace,
        databaseUrl: db.url,
        playbooksDir: join(REPO_ROOT, 'playbooks'),
        crowdstrike: crowdstrike.url,
        // Not called in S1.
        fortigate: 'http://127.0.0.1:9',
        // The incident closes soon after its playbook: its RunWorkflow span ends (and is exported) then.
        closeAfterIdle: '2s',
      }),
    ),
    {},
  );
  services = await createServices(config);
  closers.push(() => services.close());
  const log = createLogger('s1-trace', 'silent');
  const codec = payloadCodecFor(config);
  const worker: RunningWorker = await startWorker(config, services, log, codec, tracing);
  closers.push(() => worker.shutdown());
  const connection = await Connection.connect({ address });
  closers.push(() => connection.close());
  client = new Client({
    connection,
    namespace,
    dataConverter: temporalDataConverter(codec),
    interceptors: tracing.clientInterceptors,
  });
  const app: INestApplication = await createApiApp({ config, temporal: client, services, log });
  closers.push(() => app.close());
  await app.listen(0, '127.0.0.1');
  apiUrl = await app.getUrl();
}, 300_000);

afterAll(async () => {
  unsubscribe('http.client.request.start', onRequest);
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

const isContainCall = (span: ReadableSpan) =>
  span.kind === SpanKind.CLIENT &&
  String(span.attributes['http.url'] ?? span.attributes['url.full'] ?? '').endsWith(CROWDSTRIKE_DEVICE_ACTIONS_PATH);

describe('an S1 delivery', () => {
  let incidentId: string;
  let spans: ReadableSpan[];

  it('is contained at CrowdStrike, and its workflow spans reach the exporter', async () => {
    // Splunk's webhook cannot set headers: the token is in the query string.
    const response = await fetch(`${apiUrl}/webhooks/splunk?token=${TOKENS.splunk}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: SPLUNK_SAMPLE,
    });
    expect(response.status).toBe(202);
    ({ incidentId } = (await response.json()) as { incidentId: string });
    await eventually(
      () => (crowdstrike.contained.has(CROWDSTRIKE_AGENT_FIN_LT_042) ? true : undefined),
      'containment at the CrowdStrike stub',
      60_000,
    );
    // The incident closes after 2 s idle; its run's span is exported when the run ends.
    await client.workflow.getHandle(incidentId).result();
    spans = await eventually(
      async () => {
        await tracing.forceFlush();
        const finished = exporter.getFinishedSpans();
        return finished.some((s) => s.name === 'RunWorkflow:incidentWorkflow') ? finished : undefined;
      },
      'the incident run span',
      30_000,
    );
  }, 120_000);

  it('is one trace, a single tree rooted at the webhook server span, down to the CrowdStrike call', () => {
    const root = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/webhooks/:source');
    expect(root).toBeDefined();
    const traceId = root!.spanContext().traceId;
    const trace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));

    // Every span but the root has its parent in the trace: one tree, one root.
    const roots = trace.filter((s) => s.parentSpanId === undefined || !byId.has(s.parentSpanId));
    expect(roots.map((s) => s.name)).toEqual(['POST /webhooks/:source']);
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.attributes['interlock.source']).toBe('splunk');

    // The containment call, and its ancestry up to the webhook.
    const contain = trace.filter(isContainCall);
    expect(contain).toHaveLength(1);
    expect(spans.filter(isContainCall)).toHaveLength(1); // not in another trace either
    const ancestry: string[] = [];
    for (let span: ReadableSpan | undefined = contain[0]; span !== undefined;) {
      ancestry.push(span.name);
      span = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
    }
    expect(ancestry).toEqual([
      'POST',
      'RunActivity:admitAlert',
      'StartActivity:admitAlert',
      'RunWorkflow:incidentWorkflow',
      'SignalWithStartWorkflow:incidentWorkflow',
      'intake.deliver',
      'POST /webhooks/:source',
    ]);
    // The stub's own server span hangs under the client span: the trace context went along.
    expect(trace.some((s) => s.kind === SpanKind.SERVER && s.parentSpanId === contain[0]!.spanContext().spanId)).toBe(
      true,
    );
    // The workflow's signal handler, its other activities and the playbook's child run (the
    // account step, whose identity connector is not configured here) are in the same tree.
    const names = new Set(trace.map((s) => s.name));
    expect(names).toContain('HandleSignal:alertBatch');
    const parentName = (name: string) => {
      const span = trace.find((s) => s.name === name);
      return span?.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)?.name;
    };
    expect(parentName('StartChildWorkflow:playbookRunWorkflow')).toBe('RunWorkflow:incidentWorkflow');
    expect(parentName('RunWorkflow:playbookRunWorkflow')).toBe('StartChildWorkflow:playbookRunWorkflow');
    expect(parentName('StartActivity:executeAction')).toBe('RunWorkflow:playbookRunWorkflow');
    expect(parentName('RunActivity:executeAction')).toBe('StartActivity:executeAction');
    // Spans from the workflow sandbox carry the workflow's identity, and nothing else of it.
    const run = trace.find((s) => s.name === 'RunWorkflow:incidentWorkflow')!;
    expect(run.attributes['workflowId']).toBe(incidentId);
    expect(run.attributes['workflowType']).toBe('incidentWorkflow');
    expect(Object.keys(run.attributes).filter((k) => ['memo', 'searchAttributes', 'unsafe'].includes(k))).toEqual([]);
  });

  it('carries no credential: not the webhook token, the Falcon client secret or its bearer token', () => {
    const bearer = sentAuthorizations.find((h) => h.startsWith('Bearer '));
    expect(bearer).toBeDefined();
    const exported = JSON.stringify(
      spans.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        links: s.links,
        status: s.status,
      })),
    );
    for (const secret of [TOKENS.splunk, CLIENT_SECRET, bearer!.slice('Bearer '.length)])
      expect(exported).not.toContain(secret);
    expect(exported).not.toMatch(/authorization|token=/i);
    // The webhook's URL is there, without its query string.
    const root = spans.find((s) => s.name === 'POST /webhooks/:source')!;
    expect(root.attributes['http.target']).toBe('/webhooks/splunk');
    // Nor who called: no address or user agent on server spans.
    for (const key of ['net.peer.ip', 'http.user_agent', 'http.client_ip', 'client.address'])
      expect(root.attributes[key]).toBeUndefined();
  });

  it('leaves histories that replay with the tracing interceptors in the bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-trace-replay-'));
    try {
      const codePath = join(dir, 'workflow-bundle.js');
      await writeWorkflowBundle(codePath);
      const history = await client.workflow.getHandle(incidentId).fetchHistory();
      // The history carries the trace context the API sent.
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      expect(Object.keys(started?.header?.fields ?? {})).toContain('_tracer-data');
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath },
          dataConverter: temporalDataConverter(payloadCodecFor(config)),
          sinks: workerTracing(undefined).sinks,
        },
        history,
        incidentId,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
