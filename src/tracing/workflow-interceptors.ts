/**
 * Workflow-side tracing, bundled into the workflow code (src/worker/workflow-bundle.ts): Temporal's
 * OpenTelemetry workflow interceptors (RunWorkflow, HandleSignal, HandleUpdate, StartActivity,
 * StartChildWorkflow, ContinueAsNew spans; the trace context passed on in command headers; spans
 * leave the sandbox through the worker's `exporter` sink), with two changes for this engine:
 *
 * - A workflow is traced only when it was started with a trace context (the API traced the
 *   delivery that started it), and a signal or update only when it carries one. Tracing off at the
 *   API: no span is made and no header is added. The decision reads history (the headers), so
 *   replay takes it the same way.
 * - The span and trace IDs are drawn from a random stream of their own (getRandomStream), not from
 *   the workflow's `Math.random()`: `uuid4()` and every other random value of the workflow code
 *   stay what they were when the history was recorded, traced or not.
 *
 * The interceptors add headers to the commands they trace and no command: histories recorded
 * without them replay with them (test/replay), and traced histories replay (test/tracing).
 */
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type * as OtelApi from '@opentelemetry/api';
import { getRandomStream, type Headers, type WorkflowInterceptors } from '@temporalio/workflow';

/** The header Temporal's interceptors carry the trace context in (instrumentation.ts, TRACE_HEADER). */
const TRACE_HEADER = '_tracer-data';
const RANDOM_STREAM = 'interlock.tracing';

const carriesTrace = (headers: Headers): boolean => headers[TRACE_HEADER] !== undefined;

/**
 * OpenTelemetry is loaded by the first traced input of a workflow, not when the workflow starts:
 * each workflow the worker creates (or replays after eviction) evaluates the bundle's modules in
 * its own module cache, and OpenTelemetry is over a hundred of them — memory for every cached
 * workflow and time on every replay, for tracing that is off unless the API traced the delivery.
 * Loading it later issues no command and changes no random value (the IDs come from their own
 * stream), so histories replay the same either way.
 */
function loadOpenTelemetry(): { workflow: typeof OtelWorkflow; api: typeof OtelApi } {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
  return {
    workflow: require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow,
    api: require('@opentelemetry/api') as typeof OtelApi,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

interface Otel {
  api: typeof OtelApi;
  inbound: OtelWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OtelWorkflow.OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  const ids = getRandomStream(RANDOM_STREAM);
  let otel: Otel | undefined;
  /** Constructing them registers the sandbox's tracer and context manager (once per workflow). */
  const traced = (): Otel => {
    if (otel === undefined) {
      const { workflow, api } = loadOpenTelemetry();
      otel = {
        api,
        inbound: new workflow.OpenTelemetryInboundInterceptor(),
        outbound: new workflow.OpenTelemetryOutboundInterceptor(),
        internals: new workflow.OpenTelemetryInternalsInterceptor(),
      };
    }
    return otel;
  };
  /** Inside a traced execution, signal or update handler: outbound calls get a span and pass the context on. */
  const inTrace = (t: Otel): boolean => t.api.trace.getSpan(t.api.context.active()) !== undefined;
  /** Span and trace IDs from the tracing stream, never the workflow's Math.random(). */
  const tracedBy = <T>(t: Otel, call: (t: Otel) => T): T => ids.with(() => call(t));
  return {
    inbound: [
      {
        execute: (input, next) =>
          carriesTrace(input.headers) ? tracedBy(traced(), (t) => t.inbound.execute(input, next)) : next(input),
        handleSignal: (input, next) =>
          carriesTrace(input.headers) ? tracedBy(traced(), (t) => t.inbound.handleSignal(input, next)) : next(input),
        handleUpdate: (input, next) =>
          carriesTrace(input.headers) ? tracedBy(traced(), (t) => t.inbound.handleUpdate(input, next)) : next(input),
        validateUpdate: (input, next) =>
          carriesTrace(input.headers) ? tracedBy(traced(), (t) => t.inbound.validateUpdate(input, next)) : next(input),
        // Queries are not traced: they are reads, often polled, and leave nothing in history.
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) =>
          otel !== undefined && inTrace(otel)
            ? tracedBy(otel, (t) => t.outbound.scheduleActivity(input, next))
            : next(input),
        scheduleLocalActivity: (input, next) =>
          otel !== undefined && inTrace(otel)
            ? tracedBy(otel, (t) => t.outbound.scheduleLocalActivity(input, next))
            : next(input),
        startChildWorkflowExecution: (input, next) =>
          otel !== undefined && inTrace(otel)
            ? tracedBy(otel, (t) => t.outbound.startChildWorkflowExecution(input, next))
            : next(input),
        continueAsNew: (input, next) =>
          otel !== undefined && inTrace(otel)
            ? tracedBy(otel, (t) => t.outbound.continueAsNew(input, next))
            : next(input),
        signalWorkflow: (input, next) =>
          otel !== undefined && inTrace(otel)
            ? tracedBy(otel, (t) => t.outbound.signalWorkflow(input, next))
            : next(input),
        getLogAttributes: (input, next) =>
          otel === undefined ? next(input) : otel.outbound.getLogAttributes(input, next),
      },
    ],
    internals: [
      {
        // The SDK's dispose is async in name only: it disables the context manager, then calls next.
        dispose: (input, next) => {
          if (otel === undefined) next(input);
          else void otel.internals.dispose(input, next);
        },
      },
    ],
  };
};
