import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { createVendorHttpClient, parseResponse, signalOf, type CallOptions, type VendorClientOptions } from '../http';
import { CachedLookup, type Clock, type IntelAnswer, type IntelClient, type Observable } from '../intel-lookup';
import type { MispConfig } from './config';

/**
 * MISP's attribute search (OpenAPI: restSearchAttributes): `POST /attributes/restSearch` with
 * `{"value": …, "returnFormat": "json"}`, authenticated by the raw auth key in `Authorization`,
 * answers `{"response": {"Attribute": [...]}}` — every attribute with that value the key's user
 * may see, each with its `event_id`, `to_ids` (flagged for detection) and `Tag`s
 * (`includeEventTags` adds its event's tags). No attribute means MISP does not know the value.
 */

export type { MispConfig } from './config';

export interface MispClientOptions extends VendorClientOptions {
  clock?: Clock;
}

const INTEGRATION = 'misp';
export const MISP_ATTRIBUTE_SEARCH_PATH = '/attributes/restSearch';
/** Attributes read per lookup, and event IDs / tags kept in the result (a step result stays small). */
const SEARCH_LIMIT = 100;
const MAX_LISTED = 20;

const attributeSchema = z
  .object({
    id: z.union([z.string(), z.number()]),
    event_id: z.union([z.string(), z.number()]),
    to_ids: z.union([z.boolean(), z.literal('0'), z.literal('1'), z.literal(0), z.literal(1)]).optional(),
    Tag: z.array(z.object({ name: z.string() }).loose()).optional(),
  })
  .loose();
const searchSchema = z.object({ response: z.object({ Attribute: z.array(attributeSchema) }).loose() });

export class MispClient implements IntelClient {
  private readonly http: AxiosInstance;
  private readonly cached: CachedLookup;

  constructor(
    private readonly config: MispConfig,
    options: MispClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiKey], options);
    this.cached = new CachedLookup(INTEGRATION, config, options.clock);
  }

  /** The events that hold the observable, from the cache within its TTL, else from MISP. */
  lookup(observable: Observable, options: CallOptions = {}): Promise<IntelAnswer & { cached: boolean }> {
    return this.cached.lookup(observable, () => this.search(observable, options), options.signal);
  }

  private async search(observable: Observable, options: CallOptions): Promise<IntelAnswer> {
    const response = await this.http.post<unknown>(
      MISP_ATTRIBUTE_SEARCH_PATH,
      { value: observable.value, returnFormat: 'json', includeEventTags: true, limit: SEARCH_LIMIT },
      {
        headers: { Authorization: this.config.apiKey, Accept: 'application/json', 'Content-Type': 'application/json' },
        ...signalOf(options),
      },
    );
    const attributes = parseResponse(searchSchema, response.data, INTEGRATION, 'attribute search').response.Attribute;
    const events = [...new Set(attributes.map((a) => String(a.event_id)))];
    const tags = [...new Set(attributes.flatMap((a) => (a.Tag ?? []).map((t) => t.name)))];
    const toIds = attributes.some((a) => a.to_ids === true || a.to_ids === '1' || a.to_ids === 1);
    const count = attributes.length;
    return {
      result: {
        found: count > 0,
        count,
        events: events.slice(0, MAX_LISTED),
        tags: tags.slice(0, MAX_LISTED),
        toIds,
      },
      verdict:
        count === 0
          ? 'not known to MISP'
          : `${count} attribute${count === 1 ? '' : 's'} in ${events.length} event${events.length === 1 ? '' : 's'}${toIds ? ', flagged for detection (to_ids)' : ''}`,
    };
  }
}
