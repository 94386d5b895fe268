import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RequestWithSession } from './auth/console-session.guard';
import { csrfTokenFor } from './auth/csrf';
import { signInLocation } from './auth/return-to';
import type { ApiError } from '../common/api-error';
import { consoleMessagePage, plainConsolePage, sectionOf, sendConsolePage, type ConsoleViewer } from './layout';

type Session = NonNullable<RequestWithSession['consoleSession']>;

/** The message an ApiError answers with (HttpException's own `message` is its class name). */
export function apiErrorMessage(error: ApiError): string {
  return (error.getResponse() as { error: { message: string } }).error.message;
}

/** Who is looking at a page, with the session's CSRF token for its forms. */
export function viewerOf(session: Session): ConsoleViewer {
  const { id, name, roles } = session.operator;
  return { id, name, roles, csrfToken: csrfTokenFor(session.token) };
}

/** The page a request belongs to: a form's POST (…/decision, …/dry-run, …/case) returns to the page above it. */
function pageOf(req: RequestWithSession): string {
  return req.method === 'GET' ? req.url : req.url.replace(/\/(decision|dry-run|case|comments)(\?.*)?$/, '');
}

/**
 * Console pages answer people, not programs: no session sends the browser to sign-in (303),
 * which comes back to the page afterwards; other refusals (a stale CSRF token, a bad path
 * parameter, an unknown incident, approval or playbook) are an HTML page with the reason and
 * the status. Errors that are not HTTP ones go on to the API's JSON filter (logged there).
 */
@Catch(HttpException)
export class ConsolePageErrors implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<RequestWithSession>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = exception.getStatus();
    if (status === 401) {
      void reply
        .status(303)
        .header('Location', signInLocation(pageOf(req)))
        .header('Cache-Control', 'no-store')
        .send();
      return;
    }
    const body = exception.getResponse() as {
      error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
    };
    const issues = (body.error?.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ');
    const message =
      body.error?.code === 'csrf_token_invalid'
        ? 'This form has expired (its security token does not match your session). Reload the page and try again.'
        : `${body.error?.message ?? exception.message}${issues === '' ? '' : ` (${issues})`}`;
    const title = status === 404 ? 'Not found' : 'Refused';
    const session = req.consoleSession;
    const page =
      session === undefined
        ? plainConsolePage(title, message)
        : consoleMessagePage(viewerOf(session), title, message, sectionOf(req.url));
    void sendConsolePage(reply, status, page);
  }
}
