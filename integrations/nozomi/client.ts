import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { NozomiConfig } from './config';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';
import { type IssuedToken, TokenCache } from '../token-cache';

/**
 * Nozomi Networks alert handling over the N2OS OpenAPI (Guardian, CMC; Vantage speaks the same
 * `/api/open` surface):
 *
 * - `POST /api/open/sign_in` with `{key_name, key_token}` (an API key of a user) answers with
 *   the bearer JWT in the `Authorization` response header (some versions also put it in the body
 *   as `access_token`); it lasts 30 minutes. Every other call sends that header back verbatim.
 * - `POST /api/open/alerts/ack` with `{data: [{id, ack: true}]}` and `POST /api/open/alerts/close`
 *   with `{ids, close_action}` — `delete_rules` closes the alert as a security incident (status
 *   `closed_as_security`), `learn_rules` as a change, which adds the behaviour to the baseline
 *   (`closed_as_change`). Both are asynchronous: they answer `{result: {id}}`, a job polled at
 *   `GET /api/open/alerts/{ack|close}/status/{id}` until its `status` is `SUCCESS`.
 * - `GET /api/open/query/do?query=alerts | select id status ack | where id == <id>` reads an
 *   alert's state: the pre-change read and the post-check after an interrupted attempt.
 *
 * (Nozomi's XSOAR integration, which Nozomi maintains, uses exactly these calls.)
 */

export type { NozomiConfig } from './config';

export interface NozomiClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
  /** Pause between two polls of an alert job (default 1 s); tests shorten it. */
  jobPollIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** How an alert is closed: as a security incident, or as a learned change (baseline updated). */
export type CloseAction = 'delete_rules' | 'learn_rules';

/** An alert's state as Nozomi reports it. */
export interface AlertState {
  id: string;
  /** `open`, `ack` (older releases), `closed_as_security`, `closed_as_change`; others passed through. */
  status: string;
  acknowledged: boolean;
  closed: boolean;
  /** Closed as a change: the behaviour is in the baseline. */
  learned: boolean;
}

export interface JobResult {
  jobId: string;
  status: string;
}

const INTEGRATION = 'nozomi';
const SIGN_IN_PATH = '/api/open/sign_in';
const QUERY_PATH = '/api/open/query/do';
const ACK_PATH = '/api/open/alerts/ack';
const CLOSE_PATH = '/api/open/alerts/close';
/** Nozomi's JWT lasts 30 minutes; renew a little before, or when a call says 401. */
const TOKEN_LIFETIME_MS = 25 * 60_000;

/**
 * Nozomi alert IDs are UUIDs (older releases: other word-like IDs). The ID is written into an N2QL
 * query, so anything that could change the query (spaces, pipes, quotes) is refused.
 */
const alertIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'a Nozomi alert ID is letters, digits and - _ . : only');

const signInBodySchema = z
  .object({ access_token: z.string().min(1).optional(), expires_in: z.number().positive().optional() })
  .loose();

const jobStartedSchema = z.object({ result: z.object({ id: z.union([z.string().min(1), z.number()]) }).loose() });
const jobStatusSchema = z.object({ result: z.object({ status: z.string().min(1) }).loose() });

const alertQuerySchema = z.object({
  result: z.array(
    z
      .object({
        id: z.string(),
        status: z.string().nullish(),
        ack: z.boolean().nullish(),
      })
      .loose(),
  ),
  error: z.string().nullish(),
});

function invalidInput(message: string): IntegrationError {
  return new IntegrationError(`${INTEGRATION}: ${message}`, {
    integration: INTEGRATION,
    kind: 'invalid-input',
    retryable: false,
  });
}

export function checkAlertId(alertId: string): string {
  const parsed = alertIdSchema.safeParse(alertId);
  if (!parsed.success) throw invalidInput(`invalid alert ID: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

const FAILED_JOB = /^(FAIL|FAILED|FAILURE|ERROR|ERRORED)$/i;

export class NozomiClient {
  private readonly http: AxiosInstance;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly tokens: TokenCache;

  constructor(
    private readonly config: NozomiConfig,
    options: NozomiClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(() => this.signIn(), this.now);
    this.pollIntervalMs = options.jobPollIntervalMs ?? 1_000;
    this.http = createVendorHttpClient(INTEGRATION, config, [config.keyToken], options);
    // Nozomi asks integrations to name themselves on every call.
    this.http.defaults.headers.common['nn-app'] = 'interlock';
  }

  /** The alert's state; an alert Nozomi does not know is a permanent failure. */
  async alertState(alertId: string, options: CallOptions = {}): Promise<AlertState> {
    const id = checkAlertId(alertId);
    const response = await this.tokens.use((token) =>
      this.http.get<unknown>(QUERY_PATH, {
        params: { query: `alerts | select id status ack | where id == ${id}` },
        headers: { Authorization: token },
        ...signalOf(options),
      }),
    );
    const body = parseResponse(alertQuerySchema, response.data, INTEGRATION, 'alert query');
    if (body.error !== undefined && body.error !== null && body.error !== '')
      throw new IntegrationError(`${INTEGRATION}: alert query failed: ${body.error.slice(0, 200)}`, {
        integration: INTEGRATION,
        kind: 'vendor-error',
        retryable: false,
      });
    const alert = body.result.find((a) => a.id === id);
    if (alert === undefined)
      throw new IntegrationError(`${INTEGRATION}: alert ${id} not found`, {
        integration: INTEGRATION,
        kind: 'vendor-error',
        retryable: false,
      });
    const status = alert.status ?? 'open';
    const closed = status.startsWith('closed');
    return {
      id,
      status,
      acknowledged: alert.ack === true || status === 'ack',
      closed,
      learned: status === 'closed_as_change',
    };
  }

  /** Acknowledges the alert and waits (bounded by jobTimeout) for Nozomi's job to finish. */
  async acknowledge(alertId: string, options: CallOptions = {}): Promise<JobResult> {
    const id = checkAlertId(alertId);
    return this.runJob('ack', ACK_PATH, { data: [{ id, ack: true }] }, options);
  }

  /** Closes the alert as a security incident (`delete_rules`) or as a learned change (`learn_rules`). */
  async close(alertId: string, action: CloseAction, options: CallOptions = {}): Promise<JobResult> {
    const id = checkAlertId(alertId);
    return this.runJob('close', CLOSE_PATH, { ids: [id], close_action: action }, options);
  }

  private async runJob(
    operation: 'ack' | 'close',
    path: string,
    body: Record<string, unknown>,
    options: CallOptions,
  ): Promise<JobResult> {
    const started = await this.tokens.use((token) =>
      this.http.post<unknown>(path, body, {
        headers: { Authorization: token, 'Content-Type': 'application/json' },
        ...signalOf(options),
      }),
    );
    const jobId = String(parseResponse(jobStartedSchema, started.data, INTEGRATION, `${operation} request`).result.id);
    // Bounded: past jobTimeout the change may still land; the action ledger's post-check reads it.
    const deadline = this.now() + this.config.jobTimeout;
    for (;;) {
      const polled = await this.tokens.use((token) =>
        this.http.get<unknown>(`${path}/status/${encodeURIComponent(jobId)}`, {
          headers: { Authorization: token },
          ...signalOf(options),
        }),
      );
      const { status } = parseResponse(jobStatusSchema, polled.data, INTEGRATION, `${operation} job status`).result;
      if (status.toUpperCase() === 'SUCCESS') return { jobId, status };
      if (FAILED_JOB.test(status))
        throw new IntegrationError(`${INTEGRATION}: ${operation} job ${jobId} ended with status ${status}`, {
          integration: INTEGRATION,
          kind: 'vendor-error',
          retryable: false,
        });
      if (this.now() + this.pollIntervalMs > deadline)
        throw new IntegrationError(
          `${INTEGRATION}: ${operation} job ${jobId} still ${status} after ${Math.round(this.config.jobTimeout / 1000)}s`,
          { integration: INTEGRATION, kind: 'timeout', retryable: true },
        );
      await sleep(this.pollIntervalMs, options.signal);
    }
  }

  private async signIn(): Promise<IssuedToken> {
    const response = await this.http.post<unknown>(
      SIGN_IN_PATH,
      { key_name: this.config.keyName, key_token: this.config.keyToken },
      { headers: { 'Content-Type': 'application/json' } },
    );
    const header: unknown = response.headers['authorization'];
    const body = parseResponse(signInBodySchema, response.data ?? {}, INTEGRATION, 'sign-in');
    // The header carries the scheme ("Bearer <jwt>"); a body token is bare.
    const value =
      typeof header === 'string' && header.trim() !== ''
        ? header.trim()
        : body.access_token === undefined
          ? undefined
          : `Bearer ${body.access_token}`;
    if (value === undefined)
      throw new IntegrationError(`${INTEGRATION}: sign-in answered without a token`, {
        integration: INTEGRATION,
        kind: 'invalid-response',
        retryable: false,
      });
    const lifetime =
      body.expires_in === undefined ? TOKEN_LIFETIME_MS : Math.min(body.expires_in * 1000, TOKEN_LIFETIME_MS);
    return { value, renewAt: this.now() + lifetime * 0.9 };
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(
        new IntegrationError(`${INTEGRATION}: job polling abandoned: deadline reached`, {
          integration: INTEGRATION,
          kind: 'timeout',
          retryable: true,
        }),
      );
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(
        new IntegrationError(`${INTEGRATION}: job polling abandoned: deadline reached`, {
          integration: INTEGRATION,
          kind: 'timeout',
          retryable: true,
        }),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
