import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InterlockConfig } from '../../../config/schema';
import type { Logger } from '../../../logging';
import { ConsoleSessionAuth } from '../../common/openapi-security';
import { CONFIG, LOGGER } from '../../tokens';
import { sendConsolePage } from '../layout';
import { ConsolePageErrors } from '../page-errors';
import { ConsoleAuthService, type SignInOutcome } from './console-auth.service';
import { BackgroundRefresh, ConsoleSessionGuard, CurrentConsoleSession } from './console-session.guard';
import { CSRF_FIELD } from './csrf';
import { decodePending, encodePending } from './oidc-sign-in';
import { continuePage, refusedPage, signedOutPage, signInPage } from './pages';
import { RETURN_TO_FIELD, safeReturnPath } from './return-to';
import { clearedCookie, oidcCookie, readCookie, sessionCookie } from './session-cookie';
import type { ConsoleSession } from './session-store';

/** The `next` field of a query or form, when it is a safe console path. */
function returnTo(fields: unknown): string | undefined {
  return typeof fields === 'object' && fields !== null
    ? safeReturnPath((fields as Record<string, unknown>)[RETURN_TO_FIELD])
    : undefined;
}

/**
 * The console's sign-in, who-am-I and sign-out (docs/console.md). Pages answer in HTML, the
 * refusals too; GET /console/me answers JSON for the console's later pages.
 */
@Controller('console')
export class ConsoleAuthController {
  private readonly origin: string;

  constructor(
    @Inject(ConsoleAuthService) private readonly auth: ConsoleAuthService,
    @Inject(CONFIG) config: InterlockConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.origin = new URL(config.server.publicUrl).origin;
  }

  @Get('sign-in')
  @ApiOperation({
    summary: 'The sign-in page (HTML): API-key form, and the IdP link when OIDC is configured',
    security: [],
  })
  @ApiProduces('text/html')
  @ApiQuery({
    name: RETURN_TO_FIELD,
    required: false,
    schema: { type: 'string' },
    description:
      'the console path to open after signing in (same-origin /console paths only; anything else is ignored)',
  })
  signInForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return sendConsolePage(reply, 200, signInPage({ oidc: this.auth.oidc !== undefined, next: returnTo(req.query) }));
  }

  @Post('sign-in')
  @HttpCode(200)
  @ApiProduces('text/html')
  @ApiOperation({
    summary: "Signs in with an operator's API key (form post); sets the session cookie (HTML, on to /console)",
    security: [],
  })
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: ['apiKey'],
      properties: { apiKey: { type: 'string' }, [RETURN_TO_FIELD]: { type: 'string' } },
    },
  })
  async signIn(@Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    // Login CSRF: a form posted from another site would sign the victim in as its author.
    if (this.crossSite(req))
      return sendConsolePage(reply, 403, refusedPage('Sign-in refused', 'This form was posted from another site.'));
    const apiKey = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['apiKey'] : undefined;
    const next = returnTo(body);
    const outcome = await this.auth.signInWithApiKey(apiKey);
    if (!outcome.ok)
      return sendConsolePage(
        reply,
        outcome.status,
        signInPage({ oidc: this.auth.oidc !== undefined, error: outcome.reason, next }),
      );
    return sendConsolePage(this.signedIn(reply, outcome), 200, continuePage(next));
  }

  @Get('oidc/start')
  @ApiOperation({
    summary: "Starts sign-in at the identity provider (303 to the IdP's authorization endpoint)",
    security: [],
  })
  @ApiQuery({
    name: RETURN_TO_FIELD,
    required: false,
    schema: { type: 'string' },
    description: 'the console path to open after signing in (same-origin /console paths only)',
  })
  async oidcStart(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (this.auth.oidc === undefined)
      return sendConsolePage(
        reply,
        404,
        refusedPage('Not configured', 'Sign-in with an identity provider is not configured.'),
      );
    let started: Awaited<ReturnType<NonNullable<ConsoleAuthService['oidc']>['start']>>;
    try {
      started = await this.auth.oidc.start();
      const next = returnTo(req.query);
      if (next !== undefined) started.pending.next = next;
    } catch (error) {
      this.log.error({ err: error }, 'console sign-in: the identity provider discovery failed');
      return sendConsolePage(
        reply,
        502,
        refusedPage('Identity provider unavailable', 'The identity provider could not be reached.'),
      );
    }
    return reply
      .header('Set-Cookie', oidcCookie(this.auth.cookies, encodePending(started.pending)))
      .header('Cache-Control', 'no-store')
      .status(303)
      .header('Location', started.url)
      .send();
  }

  @Get('oidc/callback')
  @ApiOperation({
    summary: "The identity provider's redirect back (code, state): opens a session or refuses",
    security: [],
  })
  @ApiProduces('text/html')
  async oidcCallback(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const pending = decodePending(readCookie(req.headers.cookie, this.auth.cookies.oidc));
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const outcome = await this.auth.signInWithOidc(query, pending);
    void reply.header('Set-Cookie', [clearedCookie(this.auth.cookies, this.auth.cookies.oidc)]);
    if (!outcome.ok) return sendConsolePage(reply, outcome.status, refusedPage('Sign-in refused', outcome.reason));
    return sendConsolePage(this.signedIn(reply, outcome), 200, continuePage(safeReturnPath(pending?.next)));
  }

  @Get()
  @ApiOperation({
    summary: 'The console landing: 303 to the incidents queue, or to sign-in without a session',
    security: [],
  })
  async home(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const token = readCookie(req.headers.cookie, this.auth.cookies.session);
    const session = token === undefined ? undefined : await this.auth.sessions.touch(token);
    const to = token === undefined || session === undefined ? '/console/sign-in' : '/console/incidents';
    return reply.status(303).header('Location', to).header('Cache-Control', 'no-store').send();
  }

  @Get('me')
  @UseGuards(ConsoleSessionGuard)
  @BackgroundRefresh()
  @ConsoleSessionAuth()
  @ApiOperation({ summary: 'The signed-in operator, their roles, the session expiry and its CSRF token' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['operator', 'method', 'expiresAt', 'idleExpiresAt', 'csrfToken'],
      properties: {
        operator: {
          type: 'object',
          required: ['id', 'name', 'roles'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            roles: { type: 'array', items: { type: 'string' } },
          },
        },
        method: { type: 'string', enum: ['api-key', 'oidc'] },
        expiresAt: { type: 'string', format: 'date-time' },
        idleExpiresAt: { type: 'string', format: 'date-time' },
        csrfToken: { type: 'string' },
      },
    },
  })
  me(@CurrentConsoleSession() session: ConsoleSession & { token: string }): Record<string, unknown> {
    return {
      operator: session.operator,
      method: session.method,
      expiresAt: session.expiresAt.toISOString(),
      idleExpiresAt: session.idleExpiresAt.toISOString(),
      csrfToken: this.auth.csrfToken(session.token),
    };
  }

  @Post('sign-out')
  @HttpCode(200)
  @ApiProduces('text/html')
  @UseGuards(ConsoleSessionGuard)
  // A page answers: signed out already (another tab) → sign-in; a stale form → a page with the reason.
  @UseFilters(ConsolePageErrors)
  @ConsoleSessionAuth()
  @ApiOperation({ summary: 'Ends the session (CSRF token required) and clears the cookie (HTML)' })
  @ApiBody({
    required: true,
    schema: { type: 'object', required: [CSRF_FIELD], properties: { [CSRF_FIELD]: { type: 'string' } } },
  })
  async signOut(
    @CurrentConsoleSession() session: ConsoleSession & { token: string },
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    await this.auth.sessions.end(session.token);
    this.log.info({ operator: session.operator.id }, 'console sign-out');
    void reply.header('Set-Cookie', clearedCookie(this.auth.cookies, this.auth.cookies.session));
    return sendConsolePage(reply, 200, signedOutPage());
  }

  private signedIn(reply: FastifyReply, outcome: Extract<SignInOutcome, { ok: true }>): FastifyReply {
    const existing = reply.getHeader('Set-Cookie');
    const cookies = [...(Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)])];
    return reply.header('Set-Cookie', [...cookies, sessionCookie(this.auth.cookies, outcome.token)]);
  }

  /** A browser says where a form came from: Sec-Fetch-Site, else Origin. */
  private crossSite(req: FastifyRequest): boolean {
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') return true;
    const origin = req.headers.origin;
    return origin !== undefined && origin !== 'null' && origin !== this.origin;
  }
}
