import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logging';
import type { IntakeMetrics } from '../../metrics/intake';
import type { Lifecycle } from '../../runtime/health';
import { ERROR_CONTENT_TYPE, errorAnswer } from '../common/error-filter';
import type { WebhookAuthenticator } from './webhook-auth';
import type { WebhooksService } from './webhooks.service';

/** Answers of this path: what Fastify's default serializer sends for an object. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const PREFIX = '/webhooks/';
/** A source name the router would hand over as is: no percent-encoding, no slash, within its 100-character limit. */
const PLAIN_SOURCE = /^[A-Za-z0-9_-]{1,100}$/;
/** A query string with nothing to decode (no `%`, no `+`), so its values are what Fastify's parser would give. */
const PLAIN_QUERY = /^[A-Za-z0-9._~=&-]*$/;
/** The Content-Types senders use for JSON; any other goes through Fastify (whose answer, 202 or 415, stays its own). */
const PLAIN_JSON_TYPE = /^application\/json(?:; ?charset=(?:utf-8|"utf-8"))?$/i;

export interface WebhookFastPathDeps {
  authenticator: WebhookAuthenticator;
  intake: WebhooksService;
  metrics: IntakeMetrics;
  lifecycle: Lifecycle;
  /** Requests admitted and not yet answered: the drain waits for these (shutdown.ts). */
  admitted: { count: number };
  /** The configured sources' names. */
  sources: Iterable<string>;
  /** server.maxBodyBytes. */
  maxBodyBytes: number;
  log: Logger;
}

/**
 * `POST /webhooks/:source` in its common form, answered by a plain Node request listener in
 * front of Fastify (create-app.ts passes it through Fastify's `serverFactory`). Why: in a storm
 * the API's CPU per delivery is its limit, and Fastify under Nest runs about ten request hooks
 * (Nest's adapter alone adds six `onRequest` hooks and middie, then drain refusal, codec CORS,
 * string repair, delivery metrics), a content-type parser, a reply object and several promise
 * hops for every delivery: in a storm of identical re-deliveries, whose own intake work is
 * small, that is a large share of what the API spends per delivery beyond Node's HTTP server
 * and the socket writes (figures in docs/architecture.md, "Intake: storms and batching").
 *
 * Only requests whose every answer is known to be the one Fastify's route gives are taken here:
 * a POST to a configured source's plain name, a query with nothing to decode, a JSON
 * Content-Type in utf-8, no Content-Encoding, a Content-Length of 1 to `server.maxBodyBytes`,
 * the process not draining. Any other request — unknown source, percent-encoded or trailing-slash
 * paths, compressed, chunked, empty or oversized bodies, other Content-Types, a drain — is
 * handed to Fastify as before (the listener returns false), so refusals keep their one
 * implementation. What runs here is the route's own work, in the same order: the body read
 * whole, WebhookAuthenticator (401), WebhooksService.receive (415/400/413/429/503, the
 * server span's name), the answer in the API's JSON shape (errorAnswer, as JsonErrorFilter),
 * `connection: close` once draining, the delivery counted, and the request counted as admitted
 * until answered so a drain waits for it.
 */
export function webhookFastPath(deps: WebhookFastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { authenticator, intake, metrics, lifecycle, admitted, maxBodyBytes, log } = deps;
  // Only names the router hands over as they are; a source named otherwise is left to Fastify.
  const plainSources = new Set([...deps.sources].filter((name) => PLAIN_SOURCE.test(name)));
  /** The last Content-Type seen and whether it is plain JSON: a storm's deliveries all send the same. */
  let lastType = { header: 'application/json', plain: true };
  /** The last query string seen, parsed (frozen: authentication only reads it); undefined when not plain. */
  let lastQuery: { search: string; query: Readonly<Record<string, string | string[]>> | undefined } = {
    search: '',
    query: Object.freeze(parsePlainQuery('')),
  };

  /** Writes one answer (already serialized), counts the delivery, and ends the request's admission. */
  function answer(res: ServerResponse, source: string, status: number, headers: string[], body: string): void {
    try {
      headers.push('content-length', String(Buffer.byteLength(body)));
      if (lifecycle.draining) headers.push('connection', 'close');
      res.writeHead(status, headers);
      res.end(body);
    } finally {
      admitted.count -= 1;
    }
    metrics.answered(source, status);
  }

  function fail(res: ServerResponse, source: string, error: unknown): void {
    const { status, headers, body } = errorAnswer(error, log);
    const raw = ['content-type', ERROR_CONTENT_TYPE];
    for (const [name, value] of Object.entries(headers)) raw.push(name.toLowerCase(), value);
    answer(res, source, status, raw, JSON.stringify(body));
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    source: string,
    query: Readonly<Record<string, string | string[]>>,
    body: Buffer,
  ): Promise<void> {
    try {
      // A plain data object: an accessor (a lazy `ip`, say) would make V8 build it as a slow
      // object each time, and made the whole path slower than Fastify's in the benchmark.
      const request = {
        params: { source },
        headers: req.headers,
        query,
        body,
        ip: req.socket.remoteAddress ?? '',
      };
      const authenticated = authenticator.authenticate(request);
      const accepted = await intake.receive(authenticated, request);
      answer(res, source, 202, ['content-type', JSON_CONTENT_TYPE], JSON.stringify(accepted));
    } catch (error) {
      if (res.headersSent) {
        // The answer itself failed mid-way: nothing more can be said on this connection.
        log.error({ err: error }, 'webhook answer failed');
        res.destroy();
      } else fail(res, source, error);
    }
  }

  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'POST' || !url.startsWith(PREFIX) || lifecycle.draining) return false;
    const { headers } = req;
    const length = headers['content-length'];
    const encoding = headers['content-encoding'];
    const type = headers['content-type'];
    if (
      length === undefined ||
      headers['transfer-encoding'] !== undefined ||
      (encoding !== undefined && encoding !== 'identity') ||
      type === undefined
    )
      return false;
    if (type !== lastType.header) lastType = { header: type, plain: PLAIN_JSON_TYPE.test(type) };
    if (!lastType.plain) return false;
    const bytes = Number(length);
    if (!(bytes >= 1 && bytes <= maxBodyBytes)) return false;
    const mark = url.indexOf('?', PREFIX.length);
    const source = mark < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, mark);
    if (!plainSources.has(source)) return false;
    const search = mark < 0 ? '' : url.slice(mark + 1);
    if (search !== lastQuery.search)
      lastQuery = { search, query: PLAIN_QUERY.test(search) ? Object.freeze(parsePlainQuery(search)) : undefined };
    const { query } = lastQuery;
    if (query === undefined) return false;

    admitted.count += 1;
    const chunks: Buffer[] = [];
    let reading = true;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Node's parser ends the body after exactly Content-Length bytes.
    req.once('end', () => {
      if (!reading) return;
      reading = false;
      void handle(req, res, source, query, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    // The client went away before its body arrived: nothing to answer.
    req.once('error', () => {
      if (!reading) return;
      reading = false;
      admitted.count -= 1;
    });
    return true;
  };
}

/**
 * Makes objects without Object.prototype in their chain that V8 keeps in fast mode (an
 * `Object.create(null)` object is a dictionary, slower for every property read), as Fastify's
 * query parser does.
 */
function NullPrototypeObject(): void {}
NullPrototypeObject.prototype = Object.create(null) as object;

/**
 * A query string without percent-encoding or `+`, as Fastify's parser (fast-querystring) reads
 * it: `&`-separated `name=value` pairs (a pair without `=` has the value ''), a repeated name an
 * array of its values in order, empty pairs skipped. A null-prototype object, as Fastify's.
 */
export function parsePlainQuery(search: string): Record<string, string | string[]> {
  const query = new (NullPrototypeObject as unknown as new () => Record<string, string | string[]>)();
  if (search === '') return query;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? '' : pair.slice(equals + 1);
    const known = query[name];
    if (known === undefined) query[name] = value;
    else if (Array.isArray(known)) known.push(value);
    else query[name] = [known, value];
  }
  return query;
}
