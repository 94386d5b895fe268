import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error';
import { plainConsolePage, sendConsolePage } from './layout';

/** The message an ApiError answers with (HttpException's own `message` is its class name). */
export function apiErrorMessage(error: ApiError): string {
  return (error.getResponse() as { error: { message: string } }).error.message;
}

/**
 * Console pages answer people, not programs: no session sends the browser to sign-in (303),
 * other refusals (a stale CSRF token, an unknown incident) are an HTML page with the reason.
 * Other errors go on to the API's JSON filter (they are logged there).
 */
@Catch(ApiError)
export class ConsolePageErrors implements ExceptionFilter {
  catch(exception: ApiError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = exception.getStatus();
    if (status === 401) {
      void reply.status(303).header('Location', '/console/sign-in').header('Cache-Control', 'no-store').send();
      return;
    }
    const message =
      exception.code === 'csrf_token_invalid'
        ? 'This form has expired (its security token does not match your session). Reload the page and try again.'
        : apiErrorMessage(exception);
    void sendConsolePage(reply, status, plainConsolePage(status === 404 ? 'Not found' : 'Refused', message));
  }
}
