import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { isConnectionFailure } from '../../db/connection-errors';
import type { Logger } from '../../logging';
import { ApiError } from './api-error';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** Turns every exception into the API's JSON error shape; never leaks internals on a 500. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError) {
      for (const [name, value] of Object.entries(exception.headers)) response.setHeader(name, value);
      response.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const message =
        typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('; ') : exception.message;
      response.status(status).json({ error: { status, code: CODES[status] ?? 'error', message } });
      return;
    }
    if (isConnectionFailure(exception)) {
      // PostgreSQL is down or restarting: a temporary condition the caller can retry, not a bug.
      this.log.warn({ err: exception }, 'request failed: database unreachable');
      response.setHeader('Retry-After', '5');
      response.status(503).json({
        error: { status: 503, code: 'unavailable', message: 'the database is unreachable; retry later' },
      });
      return;
    }
    this.log.error({ err: exception }, 'unhandled error in request');
    response.status(500).json({
      error: { status: 500, code: 'internal_error', message: 'internal error; the incident has been logged' },
    });
  }
}
