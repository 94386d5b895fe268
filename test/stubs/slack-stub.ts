import {
  secretEquals,
  startRecordingServer,
  type StubRequest,
  type StubResponse,
  type StubServer,
} from './recording-server';

/**
 * A Slack Web API stand-in for the methods Interlock calls (chat.postMessage, chat.update,
 * chat.postEphemeral). Speaks Slack's wire format: form-encoded (or JSON) POSTs to
 * `/api/<method>`, `Authorization: Bearer <bot token>`, answers HTTP 200 with `{ok:true,…}` or
 * `{ok:false,error}`, and 429 with `Retry-After` (seconds) when rate limiting is scripted.
 */

export interface SlackStubMessage {
  channel: string;
  ts: string;
  text: string;
  /** The blocks as last posted or updated (Slack sends them as a JSON string form field). */
  blocks: unknown[];
  threadTs?: string;
  /** Every version of the message, oldest first (post, then each chat.update). */
  history: { text: string; blocks: unknown[] }[];
}

export interface SlackStubEphemeral {
  channel: string;
  user: string;
  text: string;
}

export interface SlackStub extends StubServer {
  /** The base URL for `slack.apiUrl` (with the trailing `/api/`). */
  apiUrl: string;
  botToken: string;
  /** Messages by ts, in posting order. */
  messages: SlackStubMessage[];
  ephemerals: SlackStubEphemeral[];
  /** Answer the next `count` calls of `method` (matching `when`, if given) with 429 + Retry-After. */
  rateLimit(
    method: string,
    count: number,
    retryAfterSeconds: number,
    when?: (fields: Record<string, string>) => boolean,
  ): void;
  /** While set, every call is answered with this HTTP status (Slack down); undefined restores it. */
  outage: number | undefined;
}

interface RateLimitScript {
  method: string;
  remaining: number;
  retryAfter: number;
  when: ((fields: Record<string, string>) => boolean) | undefined;
}

const METHODS_NEEDING = {
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'chat.postEphemeral': ['channel', 'user', 'text'],
} as const;

function fieldsOf(req: StubRequest): Record<string, string> {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    const json = JSON.parse(req.rawBody === '' ? '{}' : req.rawBody) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return Object.fromEntries(new URLSearchParams(req.rawBody));
}

export async function startSlackStub(options: { botToken?: string } = {}): Promise<SlackStub> {
  const botToken = options.botToken ?? 'xoxb-test-0000000000-interlock';
  const messages: SlackStubMessage[] = [];
  const ephemerals: SlackStubEphemeral[] = [];
  let scripts: RateLimitScript[] = [];
  let tsCounter = 0;
  // The returned stub: `outage` is read from it on every request.
  const state: { outage: number | undefined } = { outage: undefined };

  const ok = (body: Record<string, unknown>): StubResponse => ({ status: 200, body: { ok: true, ...body } });
  const fail = (error: string): StubResponse => ({ status: 200, body: { ok: false, error } });

  const handle = (req: StubRequest): StubResponse => {
    if (state.outage !== undefined) return { status: state.outage, body: 'Slack is having trouble' };
    const method = /^\/api\/([A-Za-z.]+)$/.exec(req.path)?.[1];
    if (req.method !== 'POST' || method === undefined) return { status: 404, body: 'not found' };
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) return fail('not_authed');
    if (!secretEquals(token, botToken)) return fail('invalid_auth');
    if (!Object.hasOwn(METHODS_NEEDING, method)) return fail('unknown_method');
    let fields: Record<string, string>;
    try {
      fields = fieldsOf(req);
    } catch {
      return fail('invalid_json');
    }
    const script = scripts.find((s) => s.method === method && s.remaining > 0 && (s.when?.(fields) ?? true));
    if (script !== undefined) {
      script.remaining -= 1;
      scripts = scripts.filter((s) => s.remaining > 0);
      return {
        status: 429,
        headers: { 'retry-after': String(script.retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    for (const field of METHODS_NEEDING[method as keyof typeof METHODS_NEEDING]) {
      if (fields[field] === undefined || fields[field] === '')
        return fail(field === 'channel' ? 'channel_not_found' : `missing_${field}`);
    }
    let blocks: unknown[] = [];
    if (fields['blocks'] !== undefined) {
      try {
        const parsed = JSON.parse(fields['blocks']) as unknown;
        if (!Array.isArray(parsed)) return fail('invalid_blocks_format');
        blocks = parsed;
      } catch {
        return fail('invalid_blocks_format');
      }
    }
    const text = fields['text'] ?? '';
    if (text === '' && blocks.length === 0) return fail('no_text');
    const channel = fields['channel'] as string;
    switch (method) {
      case 'chat.postMessage': {
        tsCounter += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
        const message: SlackStubMessage = {
          channel,
          ts,
          text,
          blocks,
          ...(fields['thread_ts'] === undefined ? {} : { threadTs: fields['thread_ts'] }),
          history: [{ text, blocks }],
        };
        messages.push(message);
        return ok({ channel, ts, message: { type: 'message', text, ts } });
      }
      case 'chat.update': {
        const message = messages.find((m) => m.channel === channel && m.ts === fields['ts']);
        if (message === undefined) return fail('message_not_found');
        message.text = text;
        message.blocks = blocks;
        message.history.push({ text, blocks });
        return ok({ channel, ts: message.ts, text });
      }
      default: {
        ephemerals.push({ channel, user: fields['user'] as string, text });
        tsCounter += 1;
        return ok({ message_ts: `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}` });
      }
    }
  };

  const server = await startRecordingServer({
    handle,
    errorBody: (status) => (status === 429 ? { ok: false, error: 'ratelimited' } : 'error'),
    redactBody: (_path, body) => {
      if (typeof body !== 'object' || body === null) return body;
      const { token: _token, ...rest } = body as Record<string, unknown>;
      return rest;
    },
    secretQueryParams: ['token'],
  });

  const stub: SlackStub = Object.assign(server, {
    apiUrl: `${server.url}/api/`,
    botToken,
    messages,
    ephemerals,
    rateLimit(method: string, count: number, retryAfter: number, when?: (fields: Record<string, string>) => boolean) {
      scripts.push({ method, remaining: count, retryAfter, when });
    },
    outage: undefined as number | undefined,
  });
  Object.defineProperty(stub, 'outage', {
    get: () => state.outage,
    set: (status: number | undefined) => {
      state.outage = status;
    },
  });
  return stub;
}
