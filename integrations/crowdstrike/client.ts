import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { CrowdStrikeConfig } from './config';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';
import { type IssuedToken, renewTime, TokenCache } from '../token-cache';

/**
 * CrowdStrike Falcon host containment over the OAuth2 API (client-credentials tokens, Hosts API
 * device actions and device details). Containment is idempotent at Falcon (containing a
 * contained host changes nothing), which is what makes the HTTP retries safe; the device's
 * `status` is the read that tells whether a containment is already in place.
 */

export type { CrowdStrikeConfig } from './config';

export interface CrowdStrikeClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
  /** Renew this long before the token expires (capped at half its lifetime). Default 60 s. */
  tokenRefreshMarginMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export type ContainmentAction = 'contain' | 'lift_containment';

export interface ContainmentResult {
  deviceId: string;
  action: ContainmentAction;
  /** Falcon's trace ID for the call, for the audit trail and vendor support. */
  requestId?: string;
}

/** Falcon's containment state of a device (`status` in the device details). */
export type ContainmentStatus = 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';

export interface ContainmentState {
  deviceId: string;
  /** Falcon's `status`; other values (none documented) are passed through as read. */
  status: ContainmentStatus | (string & {});
}

const INTEGRATION = 'crowdstrike';
const DEVICE_ACTIONS_PATH = '/devices/entities/devices-actions/v2';
/** Hosts API `GetDeviceDetailsV2`: `GET ?ids=<aid>` (up to 100), one resource per known device. */
const DEVICE_DETAILS_PATH = '/devices/entities/devices/v2';

/** Falcon agent IDs (AIDs) are 32 hex characters. */
const deviceIdSchema = z.string().regex(/^[0-9a-fA-F]{32}$/, 'a CrowdStrike device ID is 32 hex characters');

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected a bearer token'),
  expires_in: z.number().int().positive(),
});

const vendorErrorSchema = z.object({ code: z.number().int(), message: z.string() });

const deviceActionResponseSchema = z.object({
  meta: z.object({
    query_time: z.number().optional(),
    trace_id: z.string().optional(),
    powered_by: z.string().optional(),
  }),
  resources: z.array(z.object({ id: z.string() })).nullable(),
  // Falcon sends [] on success; some gateways send null.
  errors: z.array(vendorErrorSchema).nullable(),
});

const deviceDetailsResponseSchema = z.object({
  meta: z.object({ trace_id: z.string().optional() }).loose(),
  resources: z.array(z.object({ device_id: z.string(), status: z.string() }).loose()).nullable(),
  errors: z.array(vendorErrorSchema).nullable(),
});

function checkDeviceId(deviceId: string): void {
  const parsedId = deviceIdSchema.safeParse(deviceId);
  if (!parsedId.success) {
    throw new IntegrationError(`${INTEGRATION}: invalid device ID: ${parsedId.error.issues[0]?.message ?? 'invalid'}`, {
      integration: INTEGRATION,
      kind: 'invalid-input',
      retryable: false,
    });
  }
}

export class CrowdStrikeClient {
  private readonly http: AxiosInstance;
  private readonly now: () => number;
  private readonly refreshMarginMs: number;
  private readonly tokens: TokenCache;

  constructor(
    private readonly config: CrowdStrikeConfig,
    options: CrowdStrikeClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(() => this.fetchToken(), this.now);
    this.refreshMarginMs = options.tokenRefreshMarginMs ?? 60_000;
    this.http = createVendorHttpClient(INTEGRATION, config, [config.clientSecret], options);
  }

  /** Network-contains a host. Resolves once Falcon has accepted the request (HTTP 202). */
  containHost(deviceId: string, options: CallOptions = {}): Promise<ContainmentResult> {
    return this.deviceAction(deviceId, 'contain', options);
  }

  /** Lifts network containment of a host. */
  liftContainment(deviceId: string, options: CallOptions = {}): Promise<ContainmentResult> {
    return this.deviceAction(deviceId, 'lift_containment', options);
  }

  /**
   * The device's containment state as Falcon reports it (`containment_pending` once a
   * containment was accepted, `contained` once the sensor applied it). An unknown device is a
   * permanent failure.
   */
  async containmentState(deviceId: string, options: CallOptions = {}): Promise<ContainmentState> {
    checkDeviceId(deviceId);
    const response = await this.tokens.use((token) =>
      this.http.get<unknown>(DEVICE_DETAILS_PATH, {
        params: { ids: deviceId },
        headers: { Authorization: `Bearer ${token}` },
        ...signalOf(options),
      }),
    );
    const body = parseResponse(deviceDetailsResponseSchema, response.data, INTEGRATION, 'device details');
    const device = (body.resources ?? []).find((r) => r.device_id.toLowerCase() === deviceId.toLowerCase());
    if (device === undefined) {
      const reasons = (body.errors ?? []).map((e) => `${e.code} ${e.message}`).join('; ');
      throw new IntegrationError(
        `${INTEGRATION}: device ${deviceId} not found${reasons === '' ? '' : `: ${reasons}`}`,
        {
          integration: INTEGRATION,
          kind: 'vendor-error',
          retryable: false,
        },
      );
    }
    return { deviceId, status: device.status };
  }

  private async deviceAction(
    deviceId: string,
    action: ContainmentAction,
    options: CallOptions,
  ): Promise<ContainmentResult> {
    checkDeviceId(deviceId);
    const response = await this.tokens.use((token) =>
      this.http.post<unknown>(
        DEVICE_ACTIONS_PATH,
        { ids: [deviceId] },
        {
          params: { action_name: action },
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          ...signalOf(options),
        },
      ),
    );
    const body = parseResponse(deviceActionResponseSchema, response.data, INTEGRATION, `${action} device action`);
    const requestId = body.meta.trace_id;
    const errors = body.errors ?? [];
    if (errors.length > 0) {
      throw new IntegrationError(
        `${INTEGRATION}: ${action} rejected: ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
        {
          integration: INTEGRATION,
          kind: 'vendor-error',
          retryable: false,
        },
      );
    }
    if (!(body.resources ?? []).some((r) => r.id.toLowerCase() === deviceId.toLowerCase())) {
      throw new IntegrationError(`${INTEGRATION}: ${action} response does not acknowledge the device`, {
        integration: INTEGRATION,
        kind: 'invalid-response',
        retryable: false,
      });
    }
    return { deviceId, action, ...(requestId === undefined ? {} : { requestId }) };
  }

  private async fetchToken(): Promise<IssuedToken> {
    const form = new URLSearchParams({ client_id: this.config.clientId, client_secret: this.config.clientSecret });
    const response = await this.http.post<unknown>('/oauth2/token', form.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      // Falcon answers 201 Created; some clouds and proxies answer 200.
      validateStatus: (status) => status === 200 || status === 201,
    });
    const body = parseResponse(tokenResponseSchema, response.data, INTEGRATION, 'OAuth2 token');
    const lifetimeMs = body.expires_in * 1000;
    return { value: body.access_token, renewAt: renewTime(this.now(), lifetimeMs, this.refreshMarginMs) };
  }
}
