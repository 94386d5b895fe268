import type { FastifyInstance } from 'fastify';
import type { InterlockConfig } from '../../config/schema';

const CODEC_PREFIX = '/codec/';

/**
 * The Temporal Web UI calls the codec endpoint from the operator's browser, cross-origin: the
 * UI's origin (that of temporal.uiUrl) may call /codec/*, with a preflight answered here. No
 * other origin is allowed, and no cookies are used (the credential is the signed link's path).
 */
export function registerCodecCors(fastify: FastifyInstance, config: InterlockConfig): void {
  if (config.temporal.uiUrl === '') return;
  const allowed = new URL(config.temporal.uiUrl).origin;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith(CODEC_PREFIX) && request.headers.origin === allowed) {
      void reply.header('Access-Control-Allow-Origin', allowed).header('Vary', 'Origin');
    }
    done();
  });
  fastify.options(`${CODEC_PREFIX}*`, (request, reply) => {
    if (request.headers.origin !== allowed) return reply.code(403).send();
    return reply
      .code(204)
      .header('Access-Control-Allow-Methods', 'GET, POST')
      .header('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace')
      .header('Access-Control-Max-Age', '600')
      .send();
  });
}
