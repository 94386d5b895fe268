import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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
    const response = host.switchToHttp().getResponse<FastifyReply>();
    // A route may have set another type (the HTML timeline page); errors are always JSON.
    void response.header('Content-Type', 'application/json; charset=utf-8');
    if (exception instanceof ApiError) {
      for (const [name, value] of Object.entries(exception.headers)) void response.header(name, value);
      void response.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const message =
        typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('; ') : exception.message;
      void response.status(status).send({ error: { status, code: CODES[status] ?? 'error', message } });
      return;
    }
    const clientError = fastifyClientError(exception);
    if (clientError !== undefined) {
      // Refused by Fastify before any handler ran (body too large, bad Content-Length, bad URL…).
      void response.status(clientError.status).send({ error: clientError });
      return;
    }
    if (isUnstorableText(exception)) {
      // A request string PostgreSQL cannot hold (NUL) reached a query: the caller's input, not a bug.
      this.log.warn({ err: exception }, 'request refused: a parameter holds a character PostgreSQL cannot store');
      void response.status(400).send({
        error: {
          status: 400,
          code: 'invalid_request',
          message: 'a request parameter contains a character that cannot be stored (NUL)',
        },
      });
      return;
    }
    if (isConnectionFailure(exception)) {
      // PostgreSQL is down or restarting: a temporary condition the caller can retry, not a bug.
      this.log.warn({ err: exception }, 'request failed: database unreachable');
      void response.header('Retry-After', '5');
      void response.status(503).send({
        error: { status: 503, code: 'unavailable', message: 'the database is unreachable; retry later' },
      });
      return;
    }
    this.log.error({ err: exception }, 'unhandled error in request');
    void response.status(500).send({
      error: { status: 500, code: 'internal_error', message: 'internal error; the incident has been logged' },
    });
  }
}

/** Fastify's own 4xx errors carry `statusCode` and an `FST_…` code; their messages name no secrets. */
function fastifyClientError(exception: unknown): { status: number; code: string; message: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, code, message } = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  return {
    status: statusCode,
    code: CODES[statusCode] ?? 'bad_request',
    message: typeof message === 'string' ? message : 'bad request',
  };
}

/**
 * PostgreSQL's SQLSTATE 22021 (character_not_in_repertoire): a text parameter held NUL, which no
 * PostgreSQL string can contain. Only caller data reaches a query that way; routes refuse control
 * characters where they validate, and this keeps any route that does not from answering 500.
 */
function isUnstorableText(exception: unknown): boolean {
  return typeof exception === 'object' && exception !== null && (exception as { code?: unknown }).code === '22021';
}
