import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { createHttpClient, IntegrationError, redact, retryAfterMs } from '../../integrations/http';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function rejection(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IntegrationError)) throw new Error(`expected an IntegrationError, got ${inspect(error)}`);
  return error;
}

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds, HTTP dates and CrowdStrike epoch headers', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }, now)).toBe(10_000);
    expect(retryAfterMs({ 'x-ratelimit-retryafter': String(now / 1000 + 7) }, now)).toBe(7_000);
  });

  it('ignores missing or unusable values', () => {
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a s3cr3t b s3cr3t c k3y', ['s3cr3t', 'k3y', ''])).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });
});

describe('createHttpClient', () => {
  it('retries connection failures, logs only safe fields, then reports a retryable network error', async () => {
    const server = createServer();
    const url = await listen(server);
    await close(server); // nothing listens on that port any more
    const warnings: Record<string, unknown>[] = [];
    const client = createHttpClient({
      baseUrl: url,
      timeoutMs: 1_000,
      name: 'test-vendor',
      retry: { retries: 2, baseDelayMs: 1 },
      logger: { warn: (fields) => warnings.push(fields) },
    });

    const error = await rejection(
      client.post('/path?token=abc', { key: 'sekrit' }, { headers: { Authorization: 'Bearer sekrit' } }),
    );

    expect(error).toMatchObject({ integration: 'test-vendor', kind: 'network', retryable: true });
    expect(error.message).toBe('test-vendor: POST /path failed: ECONNREFUSED');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ integration: 'test-vendor', request: 'POST /path', attempt: 1 });
    expect(inspect(warnings)).not.toContain('sekrit');
  });

  it('times out without retrying and says so', async () => {
    let requests = 0;
    const server = createServer(() => {
      requests += 1; // never answers
    });
    const url = await listen(server);
    try {
      const client = createHttpClient({
        baseUrl: url,
        timeoutMs: 100,
        name: 'slow',
        retry: { retries: 3, baseDelayMs: 1 },
      });
      const error = await rejection(client.get('/status'));
      expect(error).toMatchObject({ kind: 'timeout', retryable: true });
      expect(requests).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('does not follow redirects, so credentials never travel to another host', async () => {
    let followed = false;
    const target = createServer((_req, res) => {
      followed = true;
      res.end('{}');
    });
    const targetUrl = await listen(target);
    const server = createServer((_req, res) => {
      res.writeHead(302, { Location: `${targetUrl}/steal` });
      res.end();
    });
    const url = await listen(server);
    try {
      const client = createHttpClient({ baseUrl: url, timeoutMs: 1_000, name: 'redirector' });
      const error = await rejection(client.get('/x', { headers: { Authorization: 'Bearer t' } }));
      expect(error).toMatchObject({ status: 302, retryable: false });
      expect(followed).toBe(false);
    } finally {
      await close(server);
      await close(target);
    }
  });
});
