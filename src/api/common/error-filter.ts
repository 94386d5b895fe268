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

/** What the API answers for an exception: status, headers beyond Content-Type, JSON body. */
export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}

/** Every error answer is JSON, whatever type the route had set (the HTML timeline page). */
export const ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The API's JSON error answer for an exception; never leaks internals on a 500 (logged here).
 * JsonErrorFilter sends it for Nest and Fastify routes; the webhook fast path
 * (webhooks/webhook-fast-path.ts) sends the same.
 */
export function errorAnswer(exception: unknown, log: Logger): ErrorAnswer {
  if (exception instanceof ApiError)
    return { status: exception.getStatus(), headers: exception.headers, body: exception.getResponse() };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    const message = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('; ') : exception.message;
    return { status, headers: {}, body: { error: { status, code: CODES[status] ?? 'error', message } } };
  }
  const clientError = fastifyClientError(exception);
  if (clientError !== undefined) {
    // Refused by Fastify before any handler ran (body too large, bad Content-Length, bad URL…).
    return { status: clientError.status, headers: {}, body: { error: clientError } };
  }
  if (isUnstorableText(exception)) {
    // A request string PostgreSQL cannot hold (NUL) reached a query: the caller's input, not a bug.
    log.warn({ err: exception }, 'request refused: a parameter holds a character PostgreSQL cannot store');
    return {
      status: 400,
      headers: {},
      body: {
        error: {
          status: 400,
          code: 'invalid_request',
          message: 'a request parameter contains a character that cannot be stored (NUL)',
        },
      },
    };
  }
  if (isConnectionFailure(exception)) {
    // PostgreSQL is down or restarting: a temporary condition the caller can retry, not a bug.
    log.warn({ err: exception }, 'request failed: database unreachable');
    return {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: { status: 503, code: 'unavailable', message: 'the database is unreachable; retry later' } },
    };
  }
  log.error({ err: exception }, 'unhandled error in request');
  return {
    status: 500,
    headers: {},
    body: { error: { status: 500, code: 'internal_error', message: 'internal error; the incident has been logged' } },
  };
}

/** Turns every exception into the API's JSON error shape (errorAnswer). */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const { status, headers, body } = errorAnswer(exception, this.log);
    void response.header('Content-Type', ERROR_CONTENT_TYPE);
    for (const [name, value] of Object.entries(headers)) void response.header(name, value);
    void response.status(status).send(body);
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
