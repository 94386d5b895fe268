/**
 * The storm's limit for `npm run bench:intake`: bare Fastify — the HTTP framework under
 * Interlock's API, the very copy `@nestjs/platform-fastify` loads — answering a trivial POST
 * route with its defaults (JSON body parsed, no logger). A process of its own, as the API is:
 * it prints `listening <port>` on stdout and runs until it is killed.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  // The storm's route and answer shape (202 with a small JSON object), without any work.
  app.post('/webhooks/:source', (_request, reply) => reply.code(202).send({ accepted: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('bare Fastify has no TCP address');
  process.stdout.write(`listening ${address.port}\n`);
  // A clean exit, so `--cpu-prof` (BENCH_BARE_NODE_OPTIONS) can write its profile.
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`bare Fastify failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
