import { applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

type SecuritySchemes = NonNullable<NonNullable<OpenAPIObject['components']>['securitySchemes']>;

/**
 * The credentials each route checks, named once for the OpenAPI document: the controllers say
 * which apply (beside their guards), openapi.ts registers the schemes.
 */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: "an operator's API key (`operators[].apiKey`): `Authorization: Bearer <key>`",
  },
  webhookBearer: {
    type: 'http',
    scheme: 'bearer',
    description: "the source's `token`: `Authorization: Bearer <token>`",
  },
  webhookToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: "the source's `token` as `?token=`, for senders that cannot set headers (Splunk)",
  },
  hmac: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Interlock-Signature',
    description: "`sha256=<hex HMAC-SHA256 of the raw body, keyed with the source's hmacSecret>`",
  },
  basic: { type: 'http', scheme: 'basic', description: "the source's `basicAuth` username and password" },
  slackSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Slack-Signature',
    description:
      "Slack's request signature: `v0=` and the hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`, keyed with `slack.signingSecret`",
  },
  slackTimestamp: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Slack-Request-Timestamp',
    description: 'Unix seconds; refused when more than 5 minutes from the clock (replay window)',
  },
  timelineLink: {
    type: 'apiKey',
    in: 'query',
    name: 'sig',
    description:
      'the signed link from GET /incidents/{id}/timeline-link (`?op&exp&sig`, valid 15 minutes), for browsers that cannot send the API key',
  },
  consoleSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'interlock_session',
    description:
      "the console session cookie from POST /console/sign-in or the OIDC callback (`__Host-interlock_session` over https); state-changing requests also need the session's CSRF token (`X-CSRF-Token` header or `_csrf` form field)",
  },
} satisfies SecuritySchemes;

type SchemeName = keyof typeof SECURITY_SCHEMES;

/** One alternative per argument; the schemes of one argument are all required together. */
function requireAnyOf(...alternatives: SchemeName[][]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ...alternatives.map((schemes) => ApiSecurity(Object.fromEntries(schemes.map((s) => [s, []])))),
  );
}

/** Routes behind OperatorGuard. */
export const OperatorAuth = (): ClassDecorator & MethodDecorator => requireAnyOf(['bearer']);

/**
 * Webhook intake: any method the source enables (src/intake/auth.ts). A requirement list, not a
 * decorator: the route is a Fastify handler (src/api/webhooks/webhook-route.ts) described in openapi.ts.
 */
export const WEBHOOK_SECURITY: Partial<Record<SchemeName, string[]>>[] = [
  { webhookBearer: [] },
  { webhookToken: [] },
  { hmac: [] },
  { basic: [] },
];

/** Slack's v0 request signature (src/api/slack/slack-signature.ts). */
export const SlackSignatureAuth = (): ClassDecorator & MethodDecorator =>
  requireAnyOf(['slackSignature', 'slackTimestamp']);

/** The timeline page: the operator's API key, or a signed link. */
export const OperatorOrSignedLinkAuth = (): ClassDecorator & MethodDecorator =>
  requireAnyOf(['bearer'], ['timelineLink']);

/** Console routes behind ConsoleSessionGuard: the session cookie (and the CSRF token on writes). */
export const ConsoleSessionAuth = (): ClassDecorator & MethodDecorator => requireAnyOf(['consoleSession']);
