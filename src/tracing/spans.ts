/**
 * The spans Interlock's own code makes, through `@opentelemetry/api` alone: with tracing off
 * (src/tracing/index.ts not started) every call here is the API's no-op.
 */
import { type Context, context as otelContext, type Link, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const TRACER = 'interlock';

/** The trace context this code runs in (a webhook delivery's server span, when traced). */
export function currentTraceContext(): Context {
  return otelContext.active();
}

/**
 * Names the HTTP server span of the request being handled after its route (the HTTP
 * instrumentation knows only the method) and adds bounded attributes (a configured source name).
 */
export function nameServerSpan(method: string, route: string, attributes: Record<string, string> = {}): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  span.updateName(`${method} ${route}`);
  span.setAttributes({ 'http.route': route, ...attributes });
}

/**
 * Runs one Temporal call made for several webhook deliveries (the intake batcher groups those for
 * one incident) as a span in the trace of the first delivery — the one whose alert can start the
 * incident — linked to the others' traces, which end at their own server spans.
 */
export function inBatchSpan<T>(contexts: readonly Context[], fn: () => Promise<T>): Promise<T> {
  const [first, ...rest] = contexts;
  if (first === undefined) return fn();
  const links: Link[] = rest.flatMap((c) => {
    const spanContext = trace.getSpanContext(c);
    return spanContext === undefined ? [] : [{ context: spanContext }];
  });
  return otelContext.with(first, () =>
    trace
      .getTracer(TRACER)
      .startActiveSpan(
        'intake.deliver',
        { kind: SpanKind.INTERNAL, links, attributes: { 'interlock.intake.deliveries': contexts.length } },
        async (span) => {
          try {
            return await fn();
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
            throw error;
          } finally {
            span.end();
          }
        },
      ),
  );
}
