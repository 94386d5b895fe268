import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { consoleAssets } from './assets';

/**
 * GET /console/assets/{name}: the console's CSS and scripts, without a session (the sign-in
 * page may use them; they hold no data). Only the files of src/api/console/assets/ by exact
 * name; revalidated by ETag.
 */
@ApiExcludeController()
@Controller('console/assets')
export class ConsoleAssetsController {
  @Get(':name')
  asset(
    @Param('name') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    const asset = consoleAssets().get(name);
    if (asset === undefined)
      return reply
        .status(404)
        .header('Content-Type', 'application/json; charset=utf-8')
        .send({ error: { status: 404, code: 'not_found', message: `no console asset ${name}` } });
    const etag = `"${asset.hash}"`;
    void reply
      .header('ETag', etag)
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cross-Origin-Resource-Policy', 'same-origin');
    if (ifNoneMatch === etag) return reply.status(304).send();
    return reply.status(200).header('Content-Type', asset.contentType).send(asset.body);
  }
}
