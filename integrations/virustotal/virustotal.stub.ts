import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';

/**
 * A VirusTotal API v3 stand-in (https://docs.virustotal.com/reference/overview): object reports
 * at `GET /api/v3/files/{hash}`, `/api/v3/ip_addresses/{ip}`, `/api/v3/domains/{domain}` and
 * `/api/v3/urls/{url id}` (unpadded base64url of the URL), authenticated by `x-apikey`. A report
 * is `{"data": {"id", "type", "attributes": {"last_analysis_stats", "reputation", …}}}`; errors
 * are `{"error": {"code", "message"}}` — 401 WrongCredentialsError, 404 NotFoundError for an
 * object VirusTotal has never seen, 429 QuotaExceededError.
 */

export interface VirusTotalVerdict {
  malicious: number;
  suspicious?: number;
  harmless?: number;
  undetected?: number;
  reputation?: number;
}

export interface VirusTotalStubOptions {
  apiKey?: string;
  /** Known objects by collection and ID (hashes lower-case; URLs by their URL ID). */
  files?: Record<string, VirusTotalVerdict>;
  ipAddresses?: Record<string, VirusTotalVerdict>;
  domains?: Record<string, VirusTotalVerdict>;
  urls?: Record<string, VirusTotalVerdict>;
}

export type VirusTotalStub = StubServer & { apiKey: string };

const vtError = (code: string, message: string) => ({ error: { code, message } });
const TYPES = { files: 'file', ip_addresses: 'ip_address', domains: 'domain', urls: 'url' } as const;

export async function startVirusTotalStub(options: VirusTotalStubOptions = {}): Promise<VirusTotalStub> {
  const apiKey = options.apiKey ?? 'virustotal-test-api-key';
  const known: Record<keyof typeof TYPES, Record<string, VirusTotalVerdict>> = {
    files: options.files ?? {},
    ip_addresses: options.ipAddresses ?? {},
    domains: options.domains ?? {},
    urls: options.urls ?? {},
  };

  const handle = (req: StubRequest): StubResponse => {
    const key = req.headers['x-apikey'];
    if (typeof key !== 'string' || !secretEquals(key, apiKey))
      return { status: 401, body: vtError('WrongCredentialsError', 'Wrong API key') };
    const match = /^\/api\/v3\/(files|ip_addresses|domains|urls)\/([^/]+)$/.exec(req.path);
    if (match === null || req.method !== 'GET')
      return { status: 400, body: vtError('BadRequestError', `unsupported request ${req.method} ${req.path}`) };
    const collection = match[1] as keyof typeof TYPES;
    const id = decodeURIComponent(match[2] ?? '');
    const verdict = known[collection][collection === 'urls' ? id : id.toLowerCase()];
    if (verdict === undefined) return { status: 404, body: vtError('NotFoundError', `"${id}" not found`) };
    const stats = {
      malicious: verdict.malicious,
      suspicious: verdict.suspicious ?? 0,
      harmless: verdict.harmless ?? 0,
      undetected: verdict.undetected ?? 70 - verdict.malicious,
      timeout: 0,
      'type-unsupported': 0,
      failure: 0,
    };
    return {
      status: 200,
      body: {
        data: {
          id,
          type: TYPES[collection],
          links: { self: `https://www.virustotal.com/api/v3/${collection}/${id}` },
          attributes: {
            last_analysis_stats: stats,
            reputation: verdict.reputation ?? 0,
            last_analysis_date: 1_763_630_000,
          },
        },
      },
    };
  };

  const server = await startRecordingServer({
    handle,
    errorBody: (status) =>
      status === 429
        ? vtError('QuotaExceededError', 'Quota exceeded')
        : status === 401
          ? vtError('WrongCredentialsError', 'Wrong API key')
          : vtError('TransientError', `HTTP ${status}`),
  });
  return Object.assign(server, { apiKey });
}
