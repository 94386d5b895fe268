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
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { context as otelContext, trace } from '@opentelemetry/api';
import { getRandomStream, type Headers, type WorkflowInterceptors } from '@temporalio/workflow';

/** The header Temporal's interceptors carry the trace context in (instrumentation.ts, TRACE_HEADER). */
const TRACE_HEADER = '_tracer-data';
const RANDOM_STREAM = 'interlock.tracing';

const carriesTrace = (headers: Headers): boolean => headers[TRACE_HEADER] !== undefined;
/** Inside a traced execution, signal or update handler: outbound calls get a span and pass the context on. */
const inTrace = (): boolean => trace.getSpan(otelContext.active()) !== undefined;

export const interceptors = (): WorkflowInterceptors => {
  const ids = getRandomStream(RANDOM_STREAM);
  // Constructing them registers the sandbox's tracer and context manager (once per workflow).
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  return {
    inbound: [
      {
        execute: (input, next) =>
          carriesTrace(input.headers) ? ids.with(() => inbound.execute(input, next)) : next(input),
        handleSignal: (input, next) =>
          carriesTrace(input.headers) ? ids.with(() => inbound.handleSignal(input, next)) : next(input),
        handleUpdate: (input, next) =>
          carriesTrace(input.headers) ? ids.with(() => inbound.handleUpdate(input, next)) : next(input),
        validateUpdate: (input, next) =>
          carriesTrace(input.headers) ? ids.with(() => inbound.validateUpdate(input, next)) : next(input),
        // Queries are not traced: they are reads, often polled, and leave nothing in history.
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) =>
          inTrace() ? ids.with(() => outbound.scheduleActivity(input, next)) : next(input),
        scheduleLocalActivity: (input, next) =>
          inTrace() ? ids.with(() => outbound.scheduleLocalActivity(input, next)) : next(input),
        startChildWorkflowExecution: (input, next) =>
          inTrace() ? ids.with(() => outbound.startChildWorkflowExecution(input, next)) : next(input),
        continueAsNew: (input, next) => (inTrace() ? ids.with(() => outbound.continueAsNew(input, next)) : next(input)),
        signalWorkflow: (input, next) =>
          inTrace() ? ids.with(() => outbound.signalWorkflow(input, next)) : next(input),
        getLogAttributes: (input, next) => outbound.getLogAttributes(input, next),
      },
    ],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
