import type { AxiosInstance, AxiosResponse } from 'axios';
import { z } from 'zod';
import type { DefenderIotConfig } from './config';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * Microsoft Defender for IoT on-premises management console API ("Alert management API reference
 * for on-premises management consoles"), `Authorization: <access token>` (no scheme):
 *
 * - `PUT /external/v1/alerts/<UUID>` `{"action": "handle" | "handleAndLearn"}` → 200
 *   `{"content": "..."}`. It is idempotent and says so: "Alert was already handled …",
 *   "… already handled and learned …", "… Ignored handle request". Failures are 500 with
 *   `{"error": "..."}`: "Invalid action", "Couldn't execute request because no alert was found
 *   for this UUID", "Unexpected error occurred". The UUID is the one the console forwards with
 *   an alert (e.g. `1-1594550943000`).
 * - `POST /external/v1/maintenanceWindow` `{ticketId, ttl (minutes), engines, sensorIds, subnets}`
 *   → 201; 409 when the ticket ID already has an open window. `DELETE` `{ticketId}` → 200; 404
 *   when no window is open for it. The console ends a window by itself when its TTL runs out.
 *
 * The console documents no read of one alert by UUID; the action is made idempotent by the
 * vendor's own answer instead (an interrupted "handle" sent again answers "already handled").
 */

export type { DefenderIotConfig } from './config';

export interface DefenderIotClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export type AlertAction = 'handle' | 'handleAndLearn';

export interface AlertActionResult {
  uuid: string;
  action: AlertAction;
  /** The console's answer, e.g. "Alert update request finished successfully". */
  content: string;
  /** The console said the alert was already in the requested state. */
  alreadyInPlace: boolean;
}

export interface MaintenanceWindowRequest {
  ticketId: string;
  /** Minutes, at least 1. */
  ttl: number;
  engines: readonly string[];
  sensorIds: readonly string[];
  subnets: readonly string[];
}

const INTEGRATION = 'defender-iot';
const ALERTS_PATH = '/external/v1/alerts';
export const MAINTENANCE_WINDOW_PATH = '/external/v1/maintenanceWindow';

/** Alert UUIDs as the console forwards them ("<n>-<epoch ms>"); nothing that could change the path. */
const uuidSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'a Defender for IoT alert UUID looks like 1-1594550943000');

const alertAnswerSchema = z
  .object({ content: z.string().optional(), error: z.string().optional() })
  .loose()
  .refine((b) => b.content !== undefined || b.error !== undefined, 'expected content or error');

function failure(
  message: string,
  init: { retryable: boolean; status?: number; kind?: 'vendor-error' | 'invalid-input' },
) {
  return new IntegrationError(`${INTEGRATION}: ${message}`, {
    integration: INTEGRATION,
    kind: init.kind ?? 'vendor-error',
    retryable: init.retryable,
    ...(init.status === undefined ? {} : { status: init.status }),
  });
}

export class DefenderIotClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: DefenderIotConfig,
    options: DefenderIotClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiToken], options);
  }

  /** Handles (closes) the alert, or handles and learns it (its behaviour joins the baseline). */
  async alertAction(uuid: string, action: AlertAction, options: CallOptions = {}): Promise<AlertActionResult> {
    const parsed = uuidSchema.safeParse(uuid);
    if (!parsed.success)
      throw failure(`invalid alert UUID: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        retryable: false,
        kind: 'invalid-input',
      });
    const response = await this.http.put<unknown>(
      `${ALERTS_PATH}/${encodeURIComponent(parsed.data)}`,
      { action },
      {
        headers: this.headers(),
        // The console answers its documented refusals with 500 and an `error`: read them here
        // (other 5xx, and a 500 without that body, stay transient).
        validateStatus: (status) => (status >= 200 && status < 300) || status === 500,
        ...signalOf(options),
      },
    );
    return this.alertAnswer(response, parsed.data, action);
  }

  private alertAnswer(response: AxiosResponse<unknown>, uuid: string, action: AlertAction): AlertActionResult {
    if (response.status === 500) {
      const body = alertAnswerSchema.safeParse(response.data);
      const error = body.success ? body.data.error : undefined;
      if (error === undefined) throw failure(`alert ${action} failed with HTTP 500`, { retryable: true, status: 500 });
      if (/no alert was found/i.test(error)) throw failure(`alert ${uuid} not found`, { retryable: false });
      // "Invalid action" will not change on a retry; "Unexpected error occurred" may.
      throw failure(`alert ${action} refused: ${error.slice(0, 200)}`, {
        retryable: /unexpected/i.test(error),
        status: 500,
      });
    }
    const body = parseResponse(alertAnswerSchema, response.data, INTEGRATION, `alert ${action}`);
    if (body.content === undefined)
      throw failure(`alert ${action} refused: ${(body.error ?? '').slice(0, 200)}`, { retryable: false });
    const content = body.content;
    return { uuid, action, content, alreadyInPlace: alreadyInPlace(content, action) };
  }

  /** Opens a maintenance window; false when one is already open for the ticket ID (409). */
  async openMaintenanceWindow(window: MaintenanceWindowRequest, options: CallOptions = {}): Promise<boolean> {
    const response = await this.http.post<unknown>(
      MAINTENANCE_WINDOW_PATH,
      {
        ticketId: window.ticketId,
        ttl: Math.max(1, Math.ceil(window.ttl)),
        engines: window.engines,
        sensorIds: window.sensorIds,
        subnets: window.subnets,
      },
      {
        headers: { ...this.headers(), 'Content-Type': 'application/json' },
        validateStatus: (status) => (status >= 200 && status < 300) || status === 409,
        ...signalOf(options),
      },
    );
    return response.status !== 409;
  }

  /** Closes the ticket's open maintenance window; false when none is open (404). */
  async closeMaintenanceWindow(ticketId: string, options: CallOptions = {}): Promise<boolean> {
    const response = await this.http.delete<unknown>(MAINTENANCE_WINDOW_PATH, {
      data: { ticketId },
      headers: { ...this.headers(), 'Content-Type': 'application/json' },
      validateStatus: (status) => (status >= 200 && status < 300) || status === 404,
      ...signalOf(options),
    });
    return response.status !== 404;
  }

  private headers(): Record<string, string> {
    return { Authorization: this.config.apiToken };
  }
}

/** The console's documented "already" answers: the alert was already in the requested state. */
function alreadyInPlace(content: string, action: AlertAction): boolean {
  if (!/already handled/i.test(content)) return false;
  // "Alert was already handled (handled). Handle and learn was performed": learning happened now.
  if (action === 'handleAndLearn') return /already handled and learned/i.test(content);
  return true;
}
