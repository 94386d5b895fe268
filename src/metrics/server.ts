import { createServer, type Server } from 'node:http';
import { metricsRegistry } from './registry';

/** A JSON route served beside /metrics (the worker's health probes): its status and body. */
export type ExtraRoute = () => Promise<{ status: number; body: unknown }>;

/**
 * A plain HTTP listener that serves this process's metrics at GET /metrics (metrics.port for
 * the API, metrics.workerPort for the worker), plus the GET routes the caller passes (the
 * worker's /health/live and /health/ready): for a scraper or a kubelet on a network the
 * operator controls, so it asks no credentials. Resolves once listening.
 */
export async function startMetricsServer(
  port: number,
  host: string,
  routes: Record<string, ExtraRoute> = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (req.method === 'GET' && route !== undefined) {
      route().then(
        ({ status, body }) =>
          res
            .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(body)),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('check failed\n'),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) =>
        res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers and probes keep connections alive: end the idle ones so close() returns.
        server.closeIdleConnections();
      }),
  };
}
