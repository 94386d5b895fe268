import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerFactory, onResponseHookHandler } from 'fastify';
import { ApiModule, type ApiDeps } from './app.module';
import { registerCodecCors } from './codec/codec-cors';
import { JSON_BODY_LIMIT_BYTES, registerBodyParsers } from './common/body-parsers';
import { clientErrorHandler, frameworkErrors } from './common/client-error';
import { JsonErrorFilter } from './common/error-filter';
import { setupOpenApi } from './openapi';
import { repairStrings } from '../intake/untrusted-text';
import { IntakeMetrics } from '../metrics/intake';
import { Lifecycle } from '../runtime/health';
import { ensureSearchAttributes } from '../runtime/search-attributes';
import { refuseWhileDraining } from './shutdown';
import { WebhookAuthenticator } from './webhooks/webhook-auth';
import { webhookFastPath } from './webhooks/webhook-fast-path';
import { registerWebhookRoute, WEBHOOK_ROUTE } from './webhooks/webhook-route';
import { WebhooksService } from './webhooks/webhooks.service';
const SEARCH_ATTRIBUTES_DEADLINE_MS = 5_000;

/**
 * The HTTP server Fastify itself would create (fastify/lib/server.js: the same timeouts, from
 * Fastify's normalized options), whose request listener offers each request to `first` and hands
 * it to Fastify unless `first` took it.
 */
function serverInFrontOfFastify(first: (req: IncomingMessage, res: ServerResponse) => boolean): FastifyServerFactory {
  const option = (options: Record<string, unknown>, name: string, fallback: number) => {
    const value = options[name];
    return typeof value === 'number' ? value : fallback;
  };
  return (handler, options) => {
    const server = createServer((req, res) => {
      if (!first(req, res)) handler(req, res);
    });
    server.keepAliveTimeout = option(options, 'keepAliveTimeout', 72_000);
    server.requestTimeout = option(options, 'requestTimeout', 0);
    server.setTimeout(option(options, 'connectionTimeout', 0));
    const maxRequestsPerSocket = option(options, 'maxRequestsPerSocket', 0);
    if (maxRequestsPerSocket > 0) server.maxRequestsPerSocket = maxRequestsPerSocket;
    return server;
  };
}

/**
 * Builds the Nest application with Interlock's body parsing and error format. Fastify rather
 * than Express underneath: a webhook storm is many small requests, and Fastify's per-request
 * cost is a fraction of Express's (docs/architecture.md, docs/benchmarks.md).
 */
export async function createApiApp(given: ApiDeps): Promise<INestApplication> {
  let config = given.config;
  // Incidents are started with search attributes only when the namespace has them.
  // A bounded wait: a Temporal that does not answer must not hold the API's start (webhooks then
  // answer 503 by their own deadline).
  if (
    config.temporal.searchAttributes &&
    !(await given.temporal.connection.withDeadline(Date.now() + SEARCH_ATTRIBUTES_DEADLINE_MS, () =>
      ensureSearchAttributes(given.temporal.connection, config.temporal.namespace, given.log),
    ))
  )
    config = { ...config, temporal: { ...config.temporal, searchAttributes: false } };
  const deps = { ...given, config, lifecycle: given.lifecycle ?? new Lifecycle() };
  const maxWebhookBytes = deps.config.server.maxBodyBytes;
  // Set once the app is built: the webhook fast path answers the common webhook deliveries
  // before Fastify (webhook-fast-path.ts); until then, and for every other request, Fastify.
  const front: { fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean } = {};
  const adapter = new FastifyAdapter({
    // The HTTP server Fastify would create (lib/server.js: the same timeouts), with the fast
    // path's listener in front of Fastify's.
    serverFactory: serverInFrontOfFastify((req, res) => front.fastPath?.(req, res) === true),
    bodyLimit: Math.max(maxWebhookBytes, JSON_BODY_LIMIT_BYTES),
    routerOptions: { ignoreTrailingSlash: true },
    // Requests refused before routing (Node: 431, 400, 408; the router: 400, 414) answer in
    // the JSON error shape too.
    clientErrorHandler,
    frameworkErrors,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(deps), adapter, {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  const fastify = app.getHttpAdapter().getInstance();
  const admitted = refuseWhileDraining(fastify, deps.lifecycle);
  registerBodyParsers(fastify, maxWebhookBytes);
  registerCodecCors(fastify, deps.config);
  // Query strings and path parameters follow the same rule as bodies: NUL and lone surrogates
  // become U+FFFD before a route, zod or PostgreSQL sees them (untrusted-text.ts).
  fastify.addHook('preValidation', (request, _reply, done) => {
    request.query = repairStrings(request.query);
    request.params = repairStrings(request.params);
    done();
  });
  // Deliveries are counted as they are answered, whatever answered them (a hook, the body
  // parser, authentication, the service, the error filter): an onResponse hook of the webhook
  // route alone, so no other request pays for it.
  const intakeMetrics = new IntakeMetrics(Object.keys(deps.config.sources));
  const countDelivery: onResponseHookHandler = (request, reply, done) => {
    intakeMetrics.answered((request.params as Record<string, string | undefined>)['source'], reply.statusCode);
    done();
  };
  fastify.addHook('onRoute', (route) => {
    if (route.url !== WEBHOOK_ROUTE || route.method !== 'POST') return;
    const hooks = route.onResponse;
    route.onResponse = hooks === undefined ? [countDelivery] : [...[hooks].flat(), countDelivery];
  });
  app.useGlobalFilters(new JsonErrorFilter(deps.log));
  registerWebhookRoute(app);
  front.fastPath = webhookFastPath({
    authenticator: app.get(WebhookAuthenticator),
    intake: app.get(WebhooksService),
    metrics: intakeMetrics,
    lifecycle: deps.lifecycle,
    admitted,
    sources: Object.keys(deps.config.sources),
    maxBodyBytes: maxWebhookBytes,
    log: deps.log,
  });
  setupOpenApi(app);
  // No app.enableShutdownHooks(): main.ts owns SIGTERM/SIGINT and drains first (shutdown.ts).
  return app;
}
