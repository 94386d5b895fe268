/**
 * OpenTelemetry traces (docs/operations.md#traces): one trace per webhook delivery, from the
 * API's HTTP server span through the Temporal call, the workflow and its activities, to the
 * vendor HTTP calls those make. Off unless an OTLP endpoint is configured: then nothing here is
 * loaded into the HTTP stack and the API's calls to `@opentelemetry/api` are its no-ops.
 */
import type * as http from 'node:http';
import { hostname } from 'node:os';
import { context as otelContext, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { RedactingSpanExporter } from './redaction';

/** The workflow interceptors module the workflow bundle includes (always: it traces only traced starts). */
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('./workflow-interceptors');

/** Requests that are not worth a trace: probes and scrapes. */
const UNTRACED_PATHS = /^\/(?:health|metrics)(?:[/?]|$)/;

import type { TracingSettings } from './settings';

export { tracingSettings, type TracingSettings } from './settings';

export interface Tracing {
  /** For the API's Temporal client: signal-with-start (and every other call) carries the trace context. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For the worker: activity spans, children of the workflow's StartActivity span. */
  activityInterceptors: NonNullable<WorkerInterceptors['activity']>;
  /** The sink the workflow sandbox's spans leave through. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
  /** Exports every finished span now (tests; shutdown does it too). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** The process's mode (api, worker, dev): the `interlock.process` resource attribute. */
  process: string;
  /** Export here instead of OTLP (tests: the SDK's InMemorySpanExporter). Spans are redacted first either way. */
  exporter?: SpanExporter;
}

/**
 * Patches node's http and https now. The instrumentation hooks `require`, so it patches a module
 * when it is next required; these two are shared singletons the rest of the process already
 * holds (axios and follow-redirects call `http.request` through them, servers dispatch through
 * `http.Server.prototype.emit`), so requiring them here, after the configuration is read, covers
 * code loaded before. Jest's module registry does not go through node's `require` hook: whatever
 * the hook left unpatched is patched directly, and the returned function undoes that (disabling
 * the instrumentation undoes only what the hook patched).
 */
function patchLoadedHttp(instrumentation: HttpInstrumentation): () => void {
  // The modules themselves (an `import * as` would be a copy): requiring them is what the hook sees.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const modules: Record<string, typeof http> = {
    http: require('http') as typeof http,
    https: require('https') as typeof http,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const undo: (() => void)[] = [];
  for (const definition of instrumentation.getModuleDefinitions()) {
    const exports = modules[definition.name];
    if (exports === undefined || isWrapped(exports.request)) continue;
    definition.patch?.(exports);
    undo.push(() => {
      if (isWrapped(exports.request)) definition.unpatch?.(exports);
    });
  }
  return () => undo.forEach((u) => u());
}

/** Starts tracing for this process: the provider, the HTTP instrumentation, the Temporal interceptors. */
export function startTracing(settings: TracingSettings, options: StartTracingOptions): Tracing {
  const resource = Resource.default().merge(
    new Resource({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      'service.instance.id': `${hostname()}:${process.pid}`,
      'interlock.process': options.process,
    }),
  );
  const exporter = new RedactingSpanExporter(
    options.exporter ??
      new OTLPTraceExporter({
        ...(settings.url === undefined ? {} : { url: settings.url }),
        headers: settings.headers,
      }),
  );
  const processor = new BatchSpanProcessor(exporter);
  const ratio = new TraceIdRatioBasedSampler(settings.sampleRatio);
  const provider = new NodeTracerProvider({
    resource,
    // A new trace (a webhook delivery) is sampled at the ratio; its spans, in every process,
    // follow its root. A caller's traceparent keeps its trace ID but not its sampling flag:
    // whoever can reach the webhook port does not choose what is recorded.
    sampler: new ParentBasedSampler({ root: ratio, remoteParentSampled: ratio, remoteParentNotSampled: ratio }),
    spanProcessors: [processor],
  });
  provider.register();
  const instrumentation = new HttpInstrumentation({
    ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
    // Vendor calls are traced inside a request or an activity; background polling is not.
    requireParentforOutgoingSpans: true,
    // No header is captured (the default; stated so a change here is deliberate): Authorization,
    // X-Interlock-Signature and vendor keys never become attributes. URLs lose their query string
    // on export (redaction.ts).
    headersToSpanAttributes: {
      client: { requestHeaders: [], responseHeaders: [] },
      server: { requestHeaders: [], responseHeaders: [] },
    },
  });
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [instrumentation] });
  const unpatch = patchLoadedHttp(instrumentation);

  const workflowExporter = makeWorkflowExporter(processor, resource);
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: {
      exporter: {
        export: {
          // Upstream copies the whole WorkflowInfo into each span's attributes (memo, search
          // attributes, last failure…): only the workflow's identity is handed on.
          fn: (info, spans) => workflowExporter.export.fn(workflowIdentity(info), spans),
        },
      },
    },
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      unregister();
      unpatch();
      await provider.shutdown();
      trace.disable();
      otelContext.disable();
    },
  };
}

function workflowIdentity(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, taskQueue, namespace, attempt } = info;
  // The exporter only spreads these into attributes; nothing else of WorkflowInfo is read.
  return { workflowId, runId, workflowType, taskQueue, namespace, attempt } as WorkflowInfo;
}

/** What a worker adds to its options: the activity interceptors and the sink (a no-op sink when tracing is off). */
export function workerTracing(tracing: Tracing | undefined): {
  interceptors: { activity: NonNullable<WorkerInterceptors['activity']> };
  sinks: InjectedSinks<OpenTelemetrySinks>;
} {
  if (tracing !== undefined) return { interceptors: { activity: tracing.activityInterceptors }, sinks: tracing.sinks };
  // An API that traces may start workflows this worker runs: their spans are dropped here.
  return { interceptors: { activity: [] }, sinks: { exporter: { export: { fn: () => undefined } } } };
}
