import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logging';
import type { Lifecycle } from '../runtime/health';
import { WebhooksService } from './webhooks/webhooks.service';

/** Routes that keep answering while the process drains: the probes say what is going on, /metrics the last counts. */
const ALWAYS_ANSWERED = new Set(['/health', '/health/live', '/health/ready', '/metrics']);
/** How often the drain looks whether the requests admitted before it have been answered. */
const POLL_MS = 50;

/** Requests admitted (not refused) and not yet answered or aborted. */
export interface AdmittedRequests {
  count: number;
}

/** The admitted requests of each app. */
const admitted = new WeakMap<object, AdmittedRequests>();

/**
 * Once draining, every new request but the probes and /metrics is refused with `503 shutting_down` and
 * `Retry-After` (nothing is started, so nothing is half-accepted: the sender retries against
 * another replica), and every answer closes its connection so clients do not reuse it. Returns
 * the count of admitted requests, which the webhook fast path (webhook-fast-path.ts) keeps too.
 */
export function refuseWhileDraining(fastify: FastifyInstance, lifecycle: Lifecycle): AdmittedRequests {
  const inFlight: AdmittedRequests = { count: 0 };
  admitted.set(fastify, inFlight);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!lifecycle.draining || ALWAYS_ANSWERED.has(request.url.split('?', 1)[0] ?? '')) {
      // 'close' fires once the answer is sent or the client went away, whichever comes first.
      inFlight.count += 1;
      reply.raw.once('close', () => (inFlight.count -= 1));
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
  return inFlight;
}

/** Requests admitted and not yet answered (what a drain waits for). */
export function requestsInFlight(app: INestApplication): number {
  return admitted.get(app.getHttpAdapter().getInstance() as object)?.count ?? 0;
}

/**
 * The API's graceful shutdown: readiness fails and new requests are refused at once (503, the
 * listener still open so a sender gets an answer rather than a reset), requests admitted
 * before finish — a webhook answers 202 only once Temporal has its alerts, so every 202 given
 * is durable — then the listener closes (new connections are refused) and idle keep-alive
 * connections end, the intake batcher is empty, and Nest closes. main.ts bounds the whole by
 * `server.shutdownTimeout`.
 */
export async function drainAndClose(app: INestApplication, lifecycle: Lifecycle, log: Logger): Promise<void> {
  lifecycle.startDraining();
  const started = Date.now();
  log.info(
    { requestsInFlight: requestsInFlight(app) },
    'API draining: new requests refused, answering those in flight',
  );
  while (requestsInFlight(app) > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const server = app.getHttpServer() as Server;
  await new Promise<void>((resolve) => {
    // The callback runs once every connection has ended (at once when not listening); a
    // connection whose last answer is still being written ends when it turns idle.
    const reaper = setInterval(() => server.closeIdleConnections(), POLL_MS);
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
