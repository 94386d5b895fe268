import type { AxiosInstance } from 'axios';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { MAX_TAG_TIMEOUT_SECONDS, type PanosConfig } from './config';
import { childAt, childrenNamed, escapeXml, parseXml, XmlError, type XmlElement } from './xml';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  redact,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * PAN-OS quarantine through the XML API's User-ID interface: the address is registered with a
 * tag (`type=user-id`, a `<uid-message>` `<register>`), which a dynamic address group used in a
 * deny rule matches. It takes effect at once without a commit, and the tag's `timeout` makes it
 * lapse on its own (rule 10); `<unregister>` lifts it. The registered-IP table
 * (`type=op`, `<show><object><registered-ip><ip>…`) is the read that tells whether it is in
 * place. Sessions are ended with the operational `<clear><session><all><filter><source>…`.
 * References: PAN-OS XML API Usage Guide, "Apply User-ID Mapping and Populate Dynamic Groups
 * (API)" and "Run Operational Mode Commands (API)"; api-lab.paloaltonetworks.com/registered-ip.
 */

export type { PanosConfig } from './config';

export interface PanosClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export interface TagResult {
  /** Canonical form of the address that was sent. */
  ip: string;
  action: 'quarantine' | 'release';
  vsys: string;
  tag: string;
  /** Tag timeout in seconds (quarantine only). */
  timeoutSeconds?: number;
}

/** The tags registered on an address, read before a change so the audit holds the prior state (rule 10). */
export interface RegistrationState {
  ip: string;
  vsys: string;
  /** Every tag on the address (not only Interlock's). */
  tags: string[];
  /** Whether Interlock's quarantine tag is among them. */
  quarantined: boolean;
}

export interface SessionsCleared {
  ip: string;
  vsys: string;
  /** The firewall's own words, e.g. how many sessions it cleared, when it says. */
  message?: string;
}

const INTEGRATION = 'panos';
const API_PATH = '/api/';

const timeoutSchema = z
  .number()
  .int()
  .min(1, 'timeout must be at least 1 second')
  .max(MAX_TAG_TIMEOUT_SECONDS, 'timeout must be at most 30 days');

/** Every XML API answer: `<response status="success|error" [code="…"]>`. */
const envelopeSchema = z.object({
  name: z.literal('response'),
  attributes: z.object({ status: z.enum(['success', 'error']), code: z.string().optional() }).loose(),
});

/** `show object registered-ip`: `<result><entry ip="…"><tag><member>…</member></tag></entry>…</result>`. */
const registeredSchema = z.array(
  z.object({
    ip: z.string().min(1),
    tags: z.array(z.string().min(1)),
  }),
);

function invalidInput(message: string): IntegrationError {
  return new IntegrationError(`${INTEGRATION}: ${message}`, {
    integration: INTEGRATION,
    kind: 'invalid-input',
    retryable: false,
  });
}

function invalidResponse(what: string, why: string): IntegrationError {
  return new IntegrationError(`${INTEGRATION}: unexpected ${what} response (${why})`, {
    integration: INTEGRATION,
    kind: 'invalid-response',
    retryable: false,
  });
}

/** Canonical IPv4/IPv6 text; refuses legacy IPv4 forms ("10.1", "0x0a.0.0.1") that hide the real target. */
function canonicalIp(ip: string): string {
  const trimmed = ip.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.IPv4.parse(trimmed).toString();
  if (ipaddr.IPv6.isValid(trimmed)) {
    const parsed = ipaddr.IPv6.parse(trimmed);
    return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toString();
  }
  throw invalidInput(`invalid IP address "${ip.slice(0, 64)}"`);
}

/** The same address as the firewall may print it (compressed or not): compared canonically. */
function sameIp(a: string, b: string): boolean {
  try {
    return ipaddr.process(a).toString() === ipaddr.process(b).toString();
  } catch {
    return false;
  }
}

/** The words of an error answer: `<msg>` lines, User-ID entries' `message` attributes. */
function errorText(root: XmlElement): string {
  const words: string[] = [];
  const walk = (element: XmlElement, depth: number) => {
    if (depth > 8 || words.length >= 5) return;
    if ((element.name === 'line' || element.name === 'msg' || element.name === 'member') && element.text !== '')
      words.push(element.text);
    const message = element.attributes['message'];
    if (element.name === 'entry' && message !== undefined) words.push(`${element.attributes['ip'] ?? ''} ${message}`);
    for (const child of element.children) walk(child, depth + 1);
  };
  walk(root, 0);
  return words
    .map((w) => w.replace(/\s+/g, ' ').trim().slice(0, 200))
    .filter((w) => w !== '')
    .join('; ');
}

export class PanosClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: PanosConfig,
    options: PanosClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.apiKey], options);
  }

  /** This client's vsys. */
  get vsys(): string {
    return this.config.vsys;
  }

  /** The tag Interlock registers. */
  get tag(): string {
    return this.config.tag;
  }

  /** The tag timeout used when none is given: the configured quarantineTimeout, in seconds. */
  get defaultTimeoutSeconds(): number {
    return Math.ceil(this.config.quarantineTimeout / 1000);
  }

  /** Registers the address with the quarantine tag for `timeoutSeconds` (default: quarantineTimeout). */
  async quarantineIp(ip: string, timeoutSeconds?: number, options: CallOptions = {}): Promise<TagResult> {
    const address = canonicalIp(ip);
    const timeout = timeoutSchema.safeParse(timeoutSeconds ?? this.defaultTimeoutSeconds);
    if (!timeout.success) throw invalidInput(timeout.error.issues[0]?.message ?? 'invalid timeout');
    const member = `<member timeout="${timeout.data}">${escapeXml(this.config.tag)}</member>`;
    await this.userId('register', address, member, options);
    return { ip: address, action: 'quarantine', vsys: this.vsys, tag: this.tag, timeoutSeconds: timeout.data };
  }

  /** Unregisters the quarantine tag from the address; other tags stay. Releasing an untagged address succeeds. */
  async releaseIp(ip: string, options: CallOptions = {}): Promise<TagResult> {
    const address = canonicalIp(ip);
    await this.userId('unregister', address, `<member>${escapeXml(this.config.tag)}</member>`, options);
    return { ip: address, action: 'release', vsys: this.vsys, tag: this.tag };
  }

  /** The tags registered on the address in this vsys. */
  async registration(ip: string, options: CallOptions = {}): Promise<RegistrationState> {
    const address = canonicalIp(ip);
    const cmd = `<show><object><registered-ip><ip>${escapeXml(address)}</ip></registered-ip></object></show>`;
    const result = childAt(await this.request('op', cmd, 'registered-ip', options), 'result');
    const entries = parseResponse(
      registeredSchema,
      childrenNamed(result, 'entry').map((entry) => ({
        ip: entry.attributes['ip'],
        tags: childrenNamed(childAt(entry, 'tag'), 'member').map((m) => m.text),
      })),
      INTEGRATION,
      'registered-ip',
    );
    const tags = entries.filter((e) => sameIp(e.ip, address)).flatMap((e) => e.tags);
    return { ip: address, vsys: this.vsys, tags, quarantined: tags.includes(this.config.tag) };
  }

  /** Ends every session from the address (`clear session all filter source`). */
  async clearSessions(ip: string, options: CallOptions = {}): Promise<SessionsCleared> {
    const address = canonicalIp(ip);
    const cmd = `<clear><session><all><filter><source>${escapeXml(address)}</source></filter></all></session></clear>`;
    const root = await this.request('op', cmd, 'clear session', options);
    const result = childAt(root, 'result');
    const message = (result?.text || childAt(result, 'member')?.text || '').slice(0, 200);
    return { ip: address, vsys: this.vsys, ...(message === '' ? {} : { message }) };
  }

  private async userId(
    operation: 'register' | 'unregister',
    address: string,
    member: string,
    options: CallOptions,
  ): Promise<void> {
    const cmd =
      `<uid-message><type>update</type><payload><${operation}>` +
      `<entry ip="${escapeXml(address)}"><tag>${member}</tag></entry>` +
      `</${operation}></payload></uid-message>`;
    await this.request('user-id', cmd, operation, options);
  }

  /** One XML API request (POST, form-encoded, key in X-PAN-KEY): the parsed, successful answer. */
  private async request(type: 'op' | 'user-id', cmd: string, what: string, options: CallOptions): Promise<XmlElement> {
    const body = new URLSearchParams({ type, cmd, vsys: this.config.vsys });
    const response = await this.http.post<unknown>(API_PATH, body.toString(), {
      headers: {
        'X-PAN-KEY': this.config.apiKey,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/xml',
      },
      responseType: 'text',
      // The answer is XML: keep axios from trying to read it as JSON.
      transformResponse: (data: unknown) => data,
      ...signalOf(options),
    });
    if (typeof response.data !== 'string') throw invalidResponse(what, 'not text');
    let root: XmlElement;
    try {
      root = parseXml(response.data);
    } catch (error) {
      throw invalidResponse(what, error instanceof XmlError ? error.message : 'not XML');
    }
    const envelope = parseResponse(envelopeSchema, root, INTEGRATION, what);
    if (envelope.attributes.status === 'success') return root;
    // An error inside an HTTP 200: PAN-OS's own code (403: the key's role lacks the permission).
    const code = envelope.attributes.code;
    const status = code === '403' || code === '400' ? Number(code) : response.status;
    const words = redact(errorText(root), [this.config.apiKey]);
    throw new IntegrationError(
      `${INTEGRATION}: ${what} failed with status "error"${code === undefined ? '' : ` (code ${code})`}${words === '' ? '' : `: ${words}`}`,
      { integration: INTEGRATION, kind: 'vendor-error', status, retryable: false },
    );
  }
}
