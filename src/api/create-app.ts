import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule, type ApiDeps } from './app.module';
import { bodyParsers } from './common/body-parsers';
import { JsonErrorFilter } from './common/error-filter';
import { setupOpenApi } from './openapi';

/** Builds the Nest application with Interlock's body parsing and error format. */
export async function createApiApp(deps: ApiDeps): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(deps), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  // No ETag hashing of every answer (nothing here is cached by clients), no framework banner.
  app.set('etag', false);
  app.disable('x-powered-by');
  const parsers = bodyParsers(deps.config.server.maxBodyBytes);
  app.use('/webhooks', parsers.webhook);
  app.use('/slack', parsers.webhook);
  app.use(parsers.json);
  app.useGlobalFilters(new JsonErrorFilter(deps.log));
  setupOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
