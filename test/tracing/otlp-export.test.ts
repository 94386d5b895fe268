/**
 * Traces leave over OTLP/HTTP when configured (issue 19): `telemetry.tracing.otlpEndpoint` (or
 * the standard OTEL_EXPORTER_OTLP_* variables) turns tracing on; spans reach a collector — here a
 * loopback HTTP server accepting `POST /v1/traces` — with the configured headers, the service
 * name, and URLs without their query strings. Unconfigured, tracing is off.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/load';
import { startTracing, tracingSettings, type Tracing } from '../../src/tracing';
import { EXAMPLE, EXAMPLE_ENV } from '../support/example-config';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const configWith = (telemetry: string) =>
  parseConfig(`${telemetry}\nsources:\n  generic:\n    token: t0123456789abcdef\n`, {});

describe('tracingSettings', () => {
  it('is off without an endpoint, in the example configuration and with OTEL_SDK_DISABLED', () => {
    expect(tracingSettings(configWith(''), {})).toBeUndefined();
    expect(tracingSettings(parseConfig(EXAMPLE, EXAMPLE_ENV), {})).toBeUndefined();
    expect(tracingSettings(configWith('telemetry:\n  tracing:\n    sampleRatio: 0.5'), {})).toBeUndefined();
    expect(
      tracingSettings(configWith('telemetry:\n  tracing:\n    otlpEndpoint: http://otel:4318'), {
        OTEL_SDK_DISABLED: 'true',
      }),
    ).toBeUndefined();
  });

  it('takes the endpoint as a base URL, or from the standard variables', () => {
    expect(
      tracingSettings(
        configWith(
          'telemetry:\n  tracing:\n    otlpEndpoint: http://otel:4318/\n    serviceName: soc-a\n    sampleRatio: 0.25',
        ),
        {},
      ),
    ).toEqual({ url: 'http://otel:4318/v1/traces', headers: {}, serviceName: 'soc-a', sampleRatio: 0.25 });
    // The exporter reads the variables itself.
    expect(tracingSettings(configWith(''), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' })).toEqual({
      headers: {},
      serviceName: 'interlock',
      sampleRatio: 1,
    });
  });

  it('refuses a bad endpoint or ratio, naming the key', () => {
    expect(() => configWith('telemetry:\n  tracing:\n    otlpEndpoint: otel:4318')).toThrow(
      /telemetry\.tracing\.otlpEndpoint/,
    );
    expect(() => configWith('telemetry:\n  tracing:\n    otlpEndpoint: http://otel:4318\n    sampleRatio: 2')).toThrow(
      /telemetry\.tracing\.sampleRatio/,
    );
  });
});

describe('OTLP export', () => {
  const received: Received[] = [];
  let collector: Server;
  let app: Server;
  let tracing: Tracing;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as AddressInfo;
    const settings = tracingSettings(
      configWith(
        `telemetry:\n  tracing:\n    otlpEndpoint: http://127.0.0.1:${port}\n    serviceName: interlock-otlp-test\n    headers:\n      x-collector-key: collector-key-123`,
      ),
      {},
    );
    expect(settings).toBeDefined();
    tracing = startTracing(settings!, { process: 'api' });
    // A traced server (what the API's HTTP server is to the instrumentation).
    app = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    await tracing?.shutdown();
    await new Promise((r) => app?.close(r));
    await new Promise((r) => collector?.close(r));
  });

  it('sends the spans to <otlpEndpoint>/v1/traces with the configured headers, queries removed', async () => {
    const { port } = app.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/webhooks/splunk?token=query-secret-456', method: 'POST' });
      req.on('response', (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      req.end();
    });
    await tracing.forceFlush();

    const exports = received.filter((r) => r.path === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    expect(exports[0]?.headers['x-collector-key']).toBe('collector-key-123');
    const body = exports.map((e) => e.body).join('\n');
    const payload = JSON.parse(exports[0]!.body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: {
          spans: { name: string; kind: number; attributes: { key: string; value: { stringValue?: string } }[] }[];
        }[];
      }[];
    };
    const resource = payload.resourceSpans[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('interlock-otlp-test');
    expect(resource.find((a) => a.key === 'interlock.process')?.value.stringValue).toBe('api');
    const server = payload.resourceSpans
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .find((s) => s.kind === 2 /* SERVER */);
    expect(server?.attributes.find((a) => a.key === 'http.target')?.value.stringValue).toBe('/webhooks/splunk');
    expect(body).not.toContain('query-secret-456');
  });
});
