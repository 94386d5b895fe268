import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleSessionAuth } from '../common/openapi-security';
import { ConsoleAuthService } from './auth/console-auth.service';
import { ConsoleSessionGuard, CurrentConsoleSession } from './auth/console-session.guard';
import type { ConsoleSession } from './auth/session-store';
import { CONSOLE_HEADERS } from './layout';
import { ConsoleLiveUpdates } from './live-updates';

/** A comment line every so often keeps proxies from closing an idle stream; the session is checked then too. */
export const HEARTBEAT_MS = 20_000;

/**
 * GET /console/events: server-sent events for the console's pages. `incidents` carries the
 * IDs of incidents whose audit trail grew (`{"incidentIds": [...]}`); `session-ended` comes
 * once the session is signed out, timed out or revoked, and the stream closes: at once when
 * this process ends the session (sign-out in another tab), else at the next heartbeat's
 * check. Authenticated by the session cookie; the stream does not restart the session's idle
 * clock.
 */
@Controller('console')
@UseGuards(ConsoleSessionGuard)
@ConsoleSessionAuth()
export class ConsoleEventsController {
  constructor(
    @Inject(ConsoleLiveUpdates) private readonly live: ConsoleLiveUpdates,
    @Inject(ConsoleAuthService) private readonly auth: ConsoleAuthService,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Live updates for the console (server-sent events: incidents, session-ended)' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  events(
    @CurrentConsoleSession() session: ConsoleSession & { token: string },
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...CONSOLE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      // No buffering at a reverse proxy (nginx honours this header).
      'X-Accel-Buffering': 'no',
    });
    raw.write('retry: 3000\n\n');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      unwatch();
      raw.end();
    };
    const sessionEnded = () => {
      if (ended) return;
      raw.write('event: session-ended\ndata: {}\n\n');
      end();
    };
    // Signed out in another tab (this process): said at once; otherwise at the next heartbeat.
    const unwatch = this.auth.sessions.onEnd(session.token, sessionEnded);
    const unsubscribe = this.live.subscribe((incidentIds) => {
      if (!ended) raw.write(`event: incidents\ndata: ${JSON.stringify({ incidentIds })}\n\n`);
    }, end);
    const heartbeat = setInterval(() => {
      void this.auth.sessions.alive(session.token).then(
        (alive) => {
          if (ended) return;
          if (alive) raw.write(': heartbeat\n\n');
          else sessionEnded();
        },
        () => undefined,
      );
    }, HEARTBEAT_MS);
    req.raw.once('close', end);
  }
}
