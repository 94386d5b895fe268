import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { InterlockConfig } from '../src/config/schema';
import { createHttpClient, parseResponse, signalOf, type CallOptions, type IntegrationLogger } from './http';

/**
 * IBM QRadar REST API, read-only, for alert completion at intake: offenses name their addresses
 * by ID, resolved with `GET /api/siem/source_addresses/{id}` (→ `source_ip`) and
 * `GET /api/siem/local_destination_addresses/{id}` (→ `local_destination_ip`). Authenticated
 * with an authorized-service token in the `SEC` header; the `Version` header pins the API
 * version. No retries: the caller's deadline is short, and the offense's own text is the fallback.
 */

export type QRadarConfig = NonNullable<InterlockConfig['integrations']['qradar']>;

const INTEGRATION = 'qradar';
export const QRADAR_SOURCE_ADDRESSES_PATH = '/api/siem/source_addresses';
export const QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH = '/api/siem/local_destination_addresses';

const sourceAddressSchema = z.object({ id: z.number().int(), source_ip: z.string().min(1) }).loose();
const localDestinationSchema = z.object({ id: z.number().int(), local_destination_ip: z.string().min(1) }).loose();

export class QRadarClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: QRadarConfig,
    options: { logger?: IntegrationLogger } = {},
  ) {
    this.http = createHttpClient({
      baseUrl: config.baseUrl,
      timeoutMs: config.timeout,
      name: INTEGRATION,
      secrets: [config.token],
      retry: { retries: 0 },
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  private get headers() {
    return { SEC: this.config.token, Version: this.config.apiVersion, Accept: 'application/json' };
  }

  async sourceAddress(id: number, options: CallOptions = {}): Promise<string> {
    const response = await this.http.get<unknown>(`${QRADAR_SOURCE_ADDRESSES_PATH}/${id}`, {
      headers: this.headers,
      params: { fields: 'id,source_ip' },
      ...signalOf(options),
    });
    return parseResponse(sourceAddressSchema, response.data, INTEGRATION, 'source address').source_ip;
  }

  async localDestinationAddress(id: number, options: CallOptions = {}): Promise<string> {
    const response = await this.http.get<unknown>(`${QRADAR_LOCAL_DESTINATION_ADDRESSES_PATH}/${id}`, {
      headers: this.headers,
      params: { fields: 'id,local_destination_ip' },
      ...signalOf(options),
    });
    return parseResponse(localDestinationSchema, response.data, INTEGRATION, 'local destination address')
      .local_destination_ip;
  }
}
