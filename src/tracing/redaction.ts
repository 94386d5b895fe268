import { type Attributes, type AttributeValue, SpanKind } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * What leaves the process in a span is held to the rule the logs follow: no credential, no
 * query string. Every span passes through here on its way to the exporter, whichever code made
 * it (HTTP instrumentation, Temporal's interceptors, ours), so one rule covers them all:
 *
 * - URLs lose their query string and user info: a Splunk webhook authenticates with `?token=`,
 *   and vendor APIs may take keys in the query;
 * - attributes named like a credential (captured headers such as `authorization`, `cookie`,
 *   anything `*token*`, `*secret*`, `*password*`, `*key*`) are dropped;
 * - a server span loses its caller's address and user agent (an operator's browser: personal
 *   data the logs do not keep either);
 * - values that are not valid attribute values (objects: Temporal's workflow span exporter
 *   copies the whole WorkflowInfo — memo, search attributes, last failure — into attributes)
 *   are dropped; the workflow's IDs and type are kept.
 */

const CREDENTIAL_NAME = /authorization|cookie|token|secret|password|passwd|api[-_.]?key|x-api-key|signature/i;
/** Who called (old and stable HTTP semantic conventions), dropped from server spans. */
const CALLER = new Set([
  'net.peer.ip',
  'net.peer.port',
  'net.sock.peer.addr',
  'net.sock.peer.port',
  'http.client_ip',
  'client.address',
  'client.port',
  'network.peer.address',
  'network.peer.port',
  'http.user_agent',
  'user_agent.original',
]);
/** Attributes that hold only a query string. */
const QUERY_ONLY = new Set(['url.query', 'http.query']);
/** The query string (and fragment) of an absolute URL or a path, wherever it appears in a text. */
const URL_QUERY = /(https?:\/\/[^\s?#"']*|\/[^\s?#"']*)\?[^\s#"']*(?:#[^\s"']*)?/gi;
/** user:password@ in an absolute URL. */
const URL_USERINFO = /(https?:\/\/)[^\s/@"']+@/gi;

function redactText(value: string): string {
  if (!value.includes('?') && !value.includes('@')) return value;
  return value.replace(URL_USERINFO, '$1').replace(URL_QUERY, '$1');
}

function isAttributeValue(value: unknown): value is AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return true;
  return (
    Array.isArray(value) &&
    value.every((v) => v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v))
  );
}

/** The attributes as they may leave the process; `dropCaller` for a server span. */
export function redactAttributes(attributes: Attributes, dropCaller = false): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || QUERY_ONLY.has(key) || CREDENTIAL_NAME.test(key) || !isAttributeValue(value)) continue;
    if (dropCaller && CALLER.has(key)) continue;
    if (typeof value === 'string') out[key] = redactText(value);
    else if (Array.isArray(value))
      out[key] = value.map((v) => (typeof v === 'string' ? redactText(v) : v)) as AttributeValue;
    else out[key] = value;
  }
  return out;
}

function redactEvent(event: TimedEvent): TimedEvent {
  return {
    ...event,
    name: redactText(event.name),
    ...(event.attributes === undefined ? {} : { attributes: redactAttributes(event.attributes) }),
  };
}

/** A copy of the span whose attributes, events, links and status message follow the rule above. */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const status =
    span.status.message === undefined ? span.status : { ...span.status, message: redactText(span.status.message) };
  const attributes = redactAttributes(span.attributes, span.kind === SpanKind.SERVER);
  const events = span.events.map(redactEvent);
  const links = span.links.map((link) =>
    link.attributes === undefined ? link : { ...link, attributes: redactAttributes(link.attributes) },
  );
  // The span's own methods and fields (spanContext(), resource, times) stay as they are.
  return Object.assign(Object.create(span) as ReadableSpan, {
    name: redactText(span.name),
    attributes,
    events,
    links,
    status,
  });
}

/** Wraps the real exporter (OTLP, or the tests' in-memory one): spans are redacted before export. */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
