import { isIP } from 'node:net';
import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from '../../test/stubs/recording-server';
import { childAt, childrenNamed, escapeXml, parseXml, type XmlElement } from './xml';

/**
 * A PAN-OS firewall's XML API (`/api/`) stand-in, for the requests Interlock makes:
 *
 * - `type=user-id` with a `<uid-message>` `<register>` / `<unregister>` of IP-to-tag mappings,
 *   each tag `<member timeout="SECONDS">` (0 or none: no timeout; at most 30 days), per vsys;
 * - `type=op` `<show><object><registered-ip>[<ip>…</ip>]…` (the registered-IP table) and
 *   `<clear><session><all><filter><source>IP</source></filter></all></session></clear>`.
 *
 * Authenticates the API key as PAN-OS does (`X-PAN-KEY` header or the `key` parameter; a bad key
 * is HTTP 403 with `<response status="error" code="403">`), reads parameters from the query
 * string and a form-encoded POST body, and answers `<response status="success|error">`. Tags
 * whose timeout has passed are gone, as on the firewall.
 */

export interface PanosStubOptions {
  apiKey?: string;
  /** Virtual systems that exist; default ["vsys1"]. */
  vsys?: readonly string[];
}

export interface RegisteredTag {
  tag: string;
  /** Seconds requested; undefined or 0: no timeout. */
  timeout?: number;
  /** Epoch milliseconds at which it lapses, when it has a timeout. */
  expiresAt?: number;
}

export interface PanosStub extends StubServer {
  apiKey: string;
  /** The tags registered on an address in a vsys (default vsys1), lapsed ones dropped. */
  tagsOf(ip: string, vsys?: string): RegisteredTag[];
  /** Opens `count` sessions from an address (the next `clear session` ends them). */
  openSessions(ip: string, count: number): void;
  /** Sessions open from an address. */
  sessionsFrom(ip: string): number;
}

const MAX_TIMEOUT = 2_592_000;

function xml(status: 'success' | 'error', inner: string, code?: string): string {
  return `<?xml version="1.0"?>\n<response status="${status}"${code === undefined ? '' : ` code="${code}"`}>${inner}</response>\n`;
}

function answer(status: number, body: string): StubResponse {
  return { status, headers: { 'content-type': 'application/xml; charset=UTF-8' }, body };
}

const error = (message: string, code?: string, http = 200) =>
  answer(http, xml('error', `<msg><line>${escapeXml(message)}</line></msg>`, code));

export async function startPanosStub(options: PanosStubOptions = {}): Promise<PanosStub> {
  const apiKey = options.apiKey ?? 'LUFRPT1pYW5vcy10ZXN0LWtleQ==';
  const vsysNames = new Set(options.vsys ?? ['vsys1']);
  /** `${vsys}/${ip}` → tag → registration. */
  const table = new Map<string, Map<string, RegisteredTag>>();
  const sessions = new Map<string, number>();

  const live = (key: string): Map<string, RegisteredTag> => {
    const tags = table.get(key) ?? new Map<string, RegisteredTag>();
    for (const [name, t] of tags) if (t.expiresAt !== undefined && t.expiresAt <= Date.now()) tags.delete(name);
    if (tags.size === 0) table.delete(key);
    else table.set(key, tags);
    return tags;
  };

  const userId = (vsys: string, cmd: XmlElement): StubResponse => {
    if (cmd.name !== 'uid-message' || childAt(cmd, 'type')?.text !== 'update')
      return error('Invalid uid-message: expected <type>update</type>');
    const payload = childAt(cmd, 'payload');
    if (payload === undefined) return error('Invalid uid-message: no payload');
    for (const operation of payload.children) {
      if (operation.name !== 'register' && operation.name !== 'unregister')
        return error(`Unsupported payload element ${operation.name}`);
      for (const entry of childrenNamed(operation, 'entry')) {
        const ip = entry.attributes['ip'] ?? '';
        if (isIP(ip) === 0) return error(`Invalid IP address ${ip}`);
        const members = childrenNamed(childAt(entry, 'tag'), 'member');
        if (members.length === 0 && operation.name === 'register') return error('register: no tag');
        const key = `${vsys}/${ip}`;
        const tags = live(key);
        for (const member of members) {
          if (member.text === '') return error('empty tag');
          if (operation.name === 'unregister') {
            tags.delete(member.text);
            continue;
          }
          const raw = member.attributes['timeout'];
          const timeout = raw === undefined ? undefined : Number(raw);
          if (timeout !== undefined && (!/^\d+$/.test(raw ?? '') || timeout > MAX_TIMEOUT))
            return error(`Invalid timeout ${raw ?? ''} for tag ${member.text}`);
          // Registering again replaces the timeout: it runs from now.
          tags.set(member.text, {
            tag: member.text,
            ...(timeout === undefined || timeout === 0 ? {} : { timeout, expiresAt: Date.now() + timeout * 1000 }),
          });
        }
        if (tags.size === 0) table.delete(key);
        else table.set(key, tags);
      }
    }
    return answer(
      200,
      xml('success', '<result><uid-response><version>2.0</version><payload/></uid-response></result>'),
    );
  };

  const op = (vsys: string, cmd: XmlElement): StubResponse => {
    const registered = childAt(cmd, 'object', 'registered-ip');
    if (cmd.name === 'show' && registered !== undefined) {
      const only = childAt(registered, 'ip')?.text;
      const entries = [...table.keys()]
        .filter((key) => key.startsWith(`${vsys}/`))
        .map((key) => [key.slice(vsys.length + 1), [...live(key).values()]] as const)
        .filter(([ip, tags]) => tags.length > 0 && (only === undefined || only === ip))
        .map(
          ([ip, tags]) =>
            `<entry ip="${ip}" from_agent="0" persistent="1"><tag>${tags.map((t) => `<member>${escapeXml(t.tag)}</member>`).join('')}</tag></entry>`,
        );
      return answer(200, xml('success', `<result>${entries.join('')}<count>${entries.length}</count></result>`));
    }
    const source = childAt(cmd, 'session', 'all', 'filter', 'source')?.text;
    if (cmd.name === 'clear' && source !== undefined) {
      if (isIP(source) === 0) return error(`Invalid source address ${source}`);
      const count = sessions.get(source) ?? 0;
      sessions.delete(source);
      return answer(200, xml('success', `<result><member>${count} sessions cleared</member></result>`));
    }
    return error(`Unknown command ${cmd.name}`, '17');
  };

  const handle = (req: StubRequest): StubResponse => {
    if (req.path !== '/api/' && req.path !== '/api') return error('Not found', undefined, 404);
    const params = new URLSearchParams(req.query);
    if (req.method === 'POST' && (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'))
      for (const [k, v] of new URLSearchParams(req.rawBody)) params.set(k, v);
    const given = (req.headers['x-pan-key'] as string | undefined) ?? params.get('key') ?? '';
    if (given === '' || !secretEquals(given, apiKey))
      return answer(403, xml('error', '<result><msg>Invalid Credential</msg></result>', '403'));
    const vsys = params.get('vsys') ?? 'vsys1';
    if (!vsysNames.has(vsys)) return error(`vsys ${vsys} does not exist`);
    let cmd: XmlElement;
    try {
      cmd = parseXml(params.get('cmd') ?? '');
    } catch {
      return error('Malformed command', '400', 400);
    }
    const type = params.get('type');
    if (type === 'user-id') return userId(vsys, cmd);
    if (type === 'op') return op(vsys, cmd);
    return error(`Invalid request type ${type ?? ''}`, '400', 400);
  };

  const server = await startRecordingServer({
    handle,
    errorBody: (status) => xml('error', `<msg><line>HTTP ${status}</line></msg>`),
    secretQueryParams: ['key'],
    redactBody: (_path, body) => {
      if (typeof body !== 'object' || body === null || !('key' in body)) return body;
      const { key: _key, ...rest } = body as Record<string, unknown>;
      return rest;
    },
  });

  return Object.assign(server, {
    apiKey,
    tagsOf: (ip: string, vsys = 'vsys1') => [...live(`${vsys}/${ip}`).values()],
    openSessions: (ip: string, count: number) => sessions.set(ip, (sessions.get(ip) ?? 0) + count),
    sessionsFrom: (ip: string) => sessions.get(ip) ?? 0,
  });
}
