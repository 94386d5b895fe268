import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RequestWithSession } from '../console-auth/console-session.guard';
import { csrfTokenFor } from '../console-auth/csrf';
import { refusedPage } from '../console-auth/pages';
import { signInLocation } from '../console-auth/return-to';
import { ApiError } from '../common/api-error';
import { PAGES_CSP, problemPage, type PageViewer, type Section } from './layout';

/** Sends a console page with the console's security headers. */
export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .status(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Content-Security-Policy', PAGES_CSP)
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Content-Type-Options', 'nosniff')
    .send(body);
}

/** The page a form posts from: a POST to …/decision or …/dry-run returns to the page above it. */
function pageOf(req: RequestWithSession): string {
  const path = req.url;
  return req.method === 'GET' ? path : path.replace(/\/(decision|dry-run)(\?.*)?$/, '');
}

/**
 * Errors on the console's pages answer as pages, not JSON: no session → 303 to sign-in, which
 * comes back here afterwards; a missing CSRF token, a bad path parameter, a missing approval or
 * playbook → an HTML page with the reason and the status.
 */
@Catch(HttpException)
export class ConsolePageErrorFilter implements ExceptionFilter {
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
      error?: { message?: string; issues?: { path: string; message: string }[] };
    };
    const issues = (body.error?.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ');
    const message = `${body.error?.message ?? exception.message}${issues === '' ? '' : ` (${issues})`}`;
    const session = req.consoleSession;
    const section: Section = req.url.startsWith('/console/playbooks') ? 'playbooks' : 'approvals';
    const title =
      exception instanceof ApiError && exception.code === 'csrf_token_invalid' ? 'Refused' : 'Not available';
    const page =
      session === undefined
        ? refusedPage(title, message)
        : problemPage(viewerOf(session), section, title, message, {
            href: `/console/${section}`,
            label: section === 'playbooks' ? 'Back to the playbooks' : 'Back to the approvals inbox',
          });
    void sendHtml(reply, status, page);
  }
}

/** Who is looking at a page, with the session's CSRF token for its forms. */
export function viewerOf(session: NonNullable<RequestWithSession['consoleSession']>): PageViewer {
  const { id, name, roles } = session.operator;
  return { id, name, roles, csrfToken: csrfTokenFor(session.token) };
}
