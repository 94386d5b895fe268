import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedOperator } from '../../auth/operator-directory';
import { ApiError } from '../../common/api-error';
import { ConsoleAuthService } from './console-auth.service';
import { csrfTokenMatches, presentedCsrfToken } from './csrf';
import { readCookie } from './session-cookie';
import type { ConsoleSession } from './session-store';

export type RequestWithSession = FastifyRequest & {
  operator?: AuthenticatedOperator;
  consoleSession?: ConsoleSession & { token: string };
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const BACKGROUND_REFRESH = 'interlock:console-background-refresh';

/**
 * A route the page calls by itself (console.js: the queue's live region, the session check),
 * not the operator: it checks the session without restarting its idle clock, so a tab left open
 * on the queue still signs out after `console.session.idleTimeout`.
 */
export const BackgroundRefresh = () => SetMetadata(BACKGROUND_REFRESH, true);

/**
 * Console routes: a live session cookie (idle and absolute timeouts checked, idle clock
 * restarted but on @BackgroundRefresh() routes), and on every state-changing method the session's CSRF token (X-CSRF-Token
 * header or `_csrf` form field) — 401 without a session, 403 without the token. Sets the same
 * `operator` OperatorGuard sets, so @CurrentOperator() works behind either guard.
 */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(
    @Inject(ConsoleAuthService) private readonly auth: ConsoleAuthService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<RequestWithSession>();
    const token = readCookie(req.headers.cookie, this.auth.cookies.session);
    const background = this.reflector.getAllAndOverride<boolean | undefined>(BACKGROUND_REFRESH, [
      context.getHandler(),
      context.getClass(),
    ]);
    const session =
      token === undefined ? undefined : await this.auth.sessions.touch(token, { restartIdle: background !== true });
    if (token === undefined || session === undefined)
      throw new ApiError(401, 'unauthorized', 'a console session is required: sign in at /console/sign-in');
    if (!SAFE_METHODS.has(req.method) && !csrfTokenMatches(token, presentedCsrfToken(req.headers, req.body)))
      throw new ApiError(403, 'csrf_token_invalid', 'the CSRF token of this session is missing or wrong');
    const operator = this.auth.currentOperator(session.operator);
    if (operator === undefined) {
      await this.auth.sessions.end(token);
      throw new ApiError(401, 'unauthorized', 'this operator is no longer configured with these roles: sign in again');
    }
    req.operator = operator;
    req.consoleSession = { ...session, operator, token };
    return true;
  }
}

/** The session ConsoleSessionGuard found. */
export const CurrentConsoleSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ConsoleSession & { token: string } => {
    const session = context.switchToHttp().getRequest<RequestWithSession>().consoleSession;
    if (session === undefined) throw new ApiError(401, 'unauthorized', 'not signed in');
    return session;
  },
);
