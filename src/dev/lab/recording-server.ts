import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The common part of the vendor stubs: a real HTTP server on 127.0.0.1 (random port) that records
 * every request (secrets stripped), can be scripted to fail the next N requests, and hands the
 * rest to a vendor-specific handler. Tests drive it through its methods; dev mode's simulated lab
 * (./lab.ts) runs the same stubs on fixed ports and shows what they received (`observe`).
 */

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** JSON or form bodies parsed; other bodies as text; undefined when empty. */
  body: unknown;
  /** Lower-cased request headers without credentials (authorization, cookie). */
  headers: Record<string, string>;
  /** The status the stub answered with. */
  status: number;
}

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as text/html. */
  body?: unknown;
}

export interface FailNextOptions {
  /** Replace the vendor's usual error body for this status. */
  body?: unknown;
  /** Only fail requests whose path starts with this; others pass through untouched. */
  path?: string;
}

/** Which requests a hold or delay applies to. */
export interface MatchOptions {
  /** Only requests whose path starts with this. */
  path?: string;
  /** Only requests this accepts (e.g. one query parameter). */
  match?: (request: StubRequest) => boolean;
}

/** A response held back: the request was handled (the vendor acted) and recorded, the answer waits. */
export interface HeldResponse {
  /** Resolves once a matching request has been handled and recorded. */
  received: Promise<void>;
  /** Sends the answer (to a client that may be gone by then). */
  release(): void;
}

export interface StubServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Every request received, in order (live array). */
  calls: RecordedCall[];
  /** Requests whose path starts with `pathPrefix`. */
  callsTo(pathPrefix: string): RecordedCall[];
  /** Forget recorded calls and scripted failures (vendor state such as tokens is kept). */
  reset(): void;
  /** Answer the next `count` requests (optionally only to `options.path`) with `status`. */
  failNext(status: number, count?: number, headers?: Record<string, string>, options?: FailNextOptions): void;
  /**
   * Answers every request (optionally only to `options.path`) with `status`, without acting, until
   * the returned function is called (a vendor outage window).
   */
  failUntil(status: number, headers?: Record<string, string>, options?: FailNextOptions): () => void;
  /**
   * Handles the next matching request (its change takes effect, as at a vendor that acted) but
   * holds its answer until `release()`: a caller that dies meanwhile never learns the outcome.
   */
  holdNext(options?: MatchOptions): HeldResponse;
  /** Handles the next matching request at once and answers it `ms` later (a slow vendor). */
  delayNext(ms: number, options?: MatchOptions): void;
  close(): Promise<void>;
}

/** How a person watches a stub that runs outside a test (dev mode's lab). */
export interface StubObserver {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Called once per recorded request (secrets already stripped). */
  onCall?(call: RecordedCall): void;
  /**
   * `GET` on this path answers the vendor state and every recorded call as JSON, and is not
   * recorded itself (e.g. `/lab/calls`).
   */
  inspectPath?: string;
}

export interface RecordingServerOptions {
  handle(request: StubRequest): StubResponse;
  /** Watching from outside; tests leave it unset. */
  observe?: StubObserver;
  /** The vendor's state shown on `observe.inspectPath` (e.g. contained hosts). */
  state?(): Record<string, unknown>;
  /** The vendor's error body for a scripted failure status. */
  errorBody(status: number): unknown;
  /** Strips secrets out of a parsed body before it is recorded. */
  redactBody?(path: string, body: unknown): unknown;
  /** Query parameters that carry credentials and must not be recorded. */
  secretQueryParams?: readonly string[];
}

// `sec`: QRadar's authorized-service token header; `x-pan-key`: PAN-OS's API key header;
// `x-apikey`: VirusTotal's API key.
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'sec', 'x-pan-key', 'x-apikey']);
const MAX_BODY_BYTES = 1_048_576;

interface ScriptedFailure {
  status: number;
  remaining: number;
  headers: Record<string, string>;
  options: FailNextOptions;
}

/** Recorded calls whose path starts with `pathPrefix`. */
export function callsTo(calls: readonly RecordedCall[], pathPrefix: string): RecordedCall[] {
  return calls.filter((call) => call.path.startsWith(pathPrefix));
}

/** Constant-time string comparison, as a vendor would do for credentials. */
export function secretEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function parseBody(headers: IncomingHttpHeaders, raw: string): unknown {
  if (raw === '') return undefined;
  const type = headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return raw;
}

function recordableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name) || value === undefined) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: StubResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload = '';
  if (typeof response.body === 'string') {
    payload = response.body;
    headers['content-type'] ??= 'text/html';
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

interface Hold {
  options: MatchOptions;
  received: () => void;
  released: Promise<void>;
}

export async function startRecordingServer(options: RecordingServerOptions): Promise<StubServer> {
  const calls: RecordedCall[] = [];
  let failures: ScriptedFailure[] = [];
  let holds: Hold[] = [];
  const secretParams = new Set(options.secretQueryParams ?? []);

  const takeHold = (request: StubRequest): Hold | undefined => {
    const hold = holds.find(
      (h) =>
        (h.options.path === undefined || request.path.startsWith(h.options.path)) &&
        (h.options.match === undefined || h.options.match(request)),
    );
    if (hold !== undefined) holds = holds.filter((h) => h !== hold);
    return hold;
  };
  const holdNext = (match: MatchOptions = {}): HeldResponse => {
    let received!: () => void;
    let release!: () => void;
    const receivedPromise = new Promise<void>((r) => (received = r));
    const released = new Promise<void>((r) => (release = r));
    holds.push({ options: match, received, released });
    return { received: receivedPromise, release };
  };

  const takeFailure = (path: string): ScriptedFailure | undefined => {
    const failure = failures.find(
      (f) => f.remaining > 0 && (f.options.path === undefined || path.startsWith(f.options.path)),
    );
    if (failure === undefined) return undefined;
    failure.remaining -= 1;
    failures = failures.filter((f) => f.remaining > 0);
    return failure;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stub.invalid');
      const method = req.method ?? 'GET';
      const inspectPath = options.observe?.inspectPath;
      if (inspectPath !== undefined && method === 'GET' && url.pathname === inspectPath) {
        send(res, { status: 200, body: { ...options.state?.(), calls } });
        return;
      }
      const rawBody = await readBody(req);
      const query: Record<string, string> = {};
      for (const [key, value] of url.searchParams) if (!secretParams.has(key)) query[key] = value;

      let response: StubResponse;
      let hold: Hold | undefined;
      const failure = takeFailure(url.pathname);
      if (failure !== undefined) {
        response = {
          status: failure.status,
          headers: failure.headers,
          body: failure.options.body ?? options.errorBody(failure.status),
        };
      } else if (rawBody === undefined) {
        response = { status: 413, body: options.errorBody(413) };
      } else {
        const request = { method, path: url.pathname, query: url.searchParams, headers: req.headers, rawBody };
        response = options.handle(request);
        hold = takeHold(request);
      }
      const parsed = parseBody(req.headers, rawBody ?? '');
      const call: RecordedCall = {
        method,
        path: url.pathname,
        query,
        body: options.redactBody ? options.redactBody(url.pathname, parsed) : parsed,
        headers: recordableHeaders(req.headers),
        status: response.status,
      };
      calls.push(call);
      options.observe?.onCall?.(call);
      if (hold !== undefined) {
        hold.received();
        await hold.released;
      }
      if (!res.destroyed) send(res, response);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.observe?.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (pathPrefix) => callsTo(calls, pathPrefix),
    reset: () => {
      calls.length = 0;
      failures = [];
      holds = [];
    },
    holdNext,
    delayNext: (ms, match = {}) => {
      const held = holdNext(match);
      void held.received.then(() => setTimeout(() => held.release(), ms).unref());
    },
    failNext: (status, count = 1, headers = {}, failOptions = {}) => {
      failures.push({ status, remaining: count, headers, options: failOptions });
    },
    failUntil: (status, headers = {}, failOptions = {}) => {
      const failure: ScriptedFailure = { status, remaining: Infinity, headers, options: failOptions };
      // First in line: an outage answers before any failure scripted earlier.
      failures.unshift(failure);
      return () => {
        failures = failures.filter((f) => f !== failure);
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Node's global agent keeps connections alive; drop them so close() returns promptly.
        server.closeAllConnections();
      }),
  };
}
