import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebhookAuthenticator } from './webhook-auth';
import { WebhooksService, type IntakeResponse } from './webhooks.service';

/** The webhook intake route (Fastify's syntax); its OpenAPI description is in src/api/openapi.ts. */
export const WEBHOOK_ROUTE = '/webhooks/:source';

/**
 * `POST /webhooks/:source` — `202 {incidentId, workflowId, deduplicated}` once Temporal has
 * durably accepted the alert (a copy: once the copy ledger has it, copy-ledger.ts) — as a Fastify handler, registered through Nest's adapter (which
 * sends an empty `:source` to the not-found handler, as for Nest's own routes).
 *
 * Not a Nest controller: in a storm every delivery pays for the route, and Nest's router
 * (execution context, guard and parameter plumbing, interceptor and response handling, a
 * few promise hops each) cost more than the intake's own work for a re-delivery. Nothing
 * else changes: the same Fastify hooks run (drain refusal, body parser, string repair,
 * delivery metrics), authentication runs first (WebhookAuthenticator), and an error reaches
 * Fastify's error handler, which Nest sets to its exception layer, so JsonErrorFilter
 * answers it as for every route. The common delivery does not reach it: the fast path in front
 * of Fastify (webhook-fast-path.ts) answers it with the same providers; this route answers
 * the rest (unknown source, trailing slash, encoded names, compressed or chunked bodies…).
 */
export function registerWebhookRoute(app: NestFastifyApplication): void {
  const authenticator = app.get(WebhookAuthenticator);
  const intake = app.get(WebhooksService);
  app
    .getHttpAdapter()
    .post(WEBHOOK_ROUTE, async (request: FastifyRequest, reply: FastifyReply): Promise<IntakeResponse> => {
      const source = authenticator.authenticate(request);
      const answer = await intake.receive(source, request);
      void reply.code(202);
      return answer;
    });
}
