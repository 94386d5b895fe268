import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logging';
import type { Lifecycle } from '../runtime/health';
import { WebhooksService } from './webhooks/webhooks.service';

/** Routes that keep answering while the process drains: the probes say what is going on, /metrics the last counts. */
const ALWAYS_ANSWERED = new Set(['/health', '/health/live', '/health/ready', '/metrics']);
/** How often idle keep-alive connections are ended while in-flight requests finish. */
const REAP_IDLE_EVERY_MS = 100;

/**
 * Once draining, every new request but the probes and /metrics is refused with `503 shutting_down` and
 * `Retry-After` (nothing is started, so nothing is half-accepted: the sender retries against
 * another replica), and every answer closes its connection so clients do not reuse it.
 */
export function refuseWhileDraining(fastify: FastifyInstance, lifecycle: Lifecycle): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!lifecycle.draining || ALWAYS_ANSWERED.has(request.url.split('?', 1)[0] ?? '')) {
      done();
      return;
    }
    void reply
      .code(503)
      .header('retry-after', '5')
      .send({
        error: { status: 503, code: 'shutting_down', message: 'this API process is shutting down; retry later' },
      });
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * The API's graceful shutdown: readiness fails and new requests are refused at once, the
 * listener closes (new connections are refused), requests in flight finish — a webhook
 * answers 202 only once Temporal has its alerts, so every 202 given is durable — the batcher
 * is empty, then Nest closes. main.ts bounds the whole by `server.shutdownTimeout`.
 */
export async function drainAndClose(app: INestApplication, lifecycle: Lifecycle, log: Logger): Promise<void> {
  lifecycle.startDraining();
  const started = Date.now();
  const server = app.getHttpServer() as Server;
  await new Promise<void>((resolve) => {
    // The callback runs once every connection has ended (at once when not listening).
    const reaper = setInterval(() => server.closeIdleConnections(), REAP_IDLE_EVERY_MS);
    server.close(() => {
      clearInterval(reaper);
      resolve();
    });
    server.closeIdleConnections();
  });
  await app.get(WebhooksService).drained();
  log.info({ ms: Date.now() - started }, 'API drained: requests in flight answered, intake batcher empty');
  await app.close();
}
