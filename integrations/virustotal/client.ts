import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type VendorClientOptions,
} from '../http';
import { CachedLookup, type Clock, type IntelAnswer, type IntelClient, type Observable } from '../intel-lookup';
import type { VirusTotalConfig } from './config';

/**
 * VirusTotal API v3 (https://docs.virustotal.com/reference/overview): one object report per
 * observable — `GET /api/v3/files/{md5|sha1|sha256}`, `/ip_addresses/{ip}`, `/domains/{domain}`,
 * `/urls/{url id}` (the URL in unpadded base64url) — authenticated by the `x-apikey` header.
 * The verdict is the object's `attributes.last_analysis_stats` (engines that said malicious,
 * suspicious, harmless, undetected) and its community `reputation`. A 404 (NotFoundError) means
 * VirusTotal has never seen the observable: an answer (`found: false`), not a failure.
 */

export type { VirusTotalConfig } from './config';

export interface VirusTotalClientOptions extends VendorClientOptions {
  clock?: Clock;
}

const INTEGRATION = 'virustotal';
const GUI = 'https://www.virustotal.com/gui';

const count = z.number().int().min(0);
const objectSchema = z.object({
  data: z.object({
    id: z.string().min(1),
    type: z.string(),
    attributes: z
      .object({
        last_analysis_stats: z
          .object({ malicious: count, suspicious: count, harmless: count, undetected: count })
          .loose(),
        reputation: z.number().int().optional(),
      })
      .loose(),
  }),
});

/** VirusTotal's identifier of a URL: the URL in base64url without padding. */
export function virustotalUrlId(url: string): string {
  return Buffer.from(url).toString('base64url');
}

/** Per observable type: its collection (the report is `<path>/<id>`) and its page in the web interface. */
const COLLECTION: Record<Observable['type'], { path: string; gui: string }> = {
  hash: { path: '/api/v3/files', gui: 'file' },
  ip: { path: '/api/v3/ip_addresses', gui: 'ip-address' },
  domain: { path: '/api/v3/domains', gui: 'domain' },
  url: { path: '/api/v3/urls', gui: 'url' },
};

export class VirusTotalClient implements IntelClient {
  private readonly http: AxiosInstance;
  private readonly cached: CachedLookup;

  constructor(
    private readonly config: VirusTotalConfig,
    options: VirusTotalClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiKey], options);
    this.cached = new CachedLookup(INTEGRATION, config, options.clock);
  }

  /** The observable's report, from the cache within its TTL, else from VirusTotal within the quota. */
  lookup(observable: Observable, options: CallOptions = {}): Promise<IntelAnswer & { cached: boolean }> {
    return this.cached.lookup(observable, () => this.report(observable, options), options.signal);
  }

  private async report(observable: Observable, options: CallOptions): Promise<IntelAnswer> {
    const { path, gui } = COLLECTION[observable.type];
    const id = observable.type === 'url' ? virustotalUrlId(observable.value) : observable.value;
    let data: unknown;
    try {
      const response = await this.http.get<unknown>(`${path}/${encodeURIComponent(id)}`, {
        headers: { 'x-apikey': this.config.apiKey, Accept: 'application/json' },
        ...signalOf(options),
      });
      data = response.data;
    } catch (error) {
      if (error instanceof IntegrationError && error.status === 404)
        return { result: { found: false }, verdict: 'not known to VirusTotal' };
      throw error;
    }
    const { attributes } = parseResponse(objectSchema, data, INTEGRATION, `${gui} report`).data;
    const { malicious, suspicious, harmless, undetected } = attributes.last_analysis_stats;
    const engines = malicious + suspicious + harmless + undetected;
    return {
      result: {
        found: true,
        malicious,
        suspicious,
        harmless,
        undetected,
        ...(attributes.reputation === undefined ? {} : { reputation: attributes.reputation }),
        link: `${GUI}/${gui}/${encodeURIComponent(id)}`,
      },
      verdict: `${malicious}/${engines} engines malicious, ${suspicious} suspicious`,
    };
  }
}
