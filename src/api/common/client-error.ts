import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers a request Node's HTTP parser refused before Fastify or Nest saw it (headers beyond
 * Node's limit, a malformed request line or header, conflicting lengths, a timeout) in the
 * API's JSON error shape, instead of Fastify's default body. The connection is closed: after a
 * parse error the rest of the stream cannot be trusted.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = describe(error.code);
  // As Node's own handler: never write into a response that has already started.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify({ error: { status, code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

function describe(code: string | undefined): { status: number; code: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'headers_too_large',
        message: `the request headers exceed the limit of ${maxHeaderSize} bytes`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'request_timeout', message: 'the request was not received in time' };
    default:
      // Node's parser codes (HPE_INVALID_METHOD, HPE_INVALID_HEADER_TOKEN, …) name no secret.
      return {
        status: 400,
        code: 'bad_request',
        message: `malformed HTTP request${code === undefined ? '' : ` (${code})`}`,
      };
  }
}

/**
 * Answers what Fastify's router refuses before any hook or Nest filter runs: a malformed
 * percent-encoding in the path (400) and an over-long path parameter (414).
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const [code, message] =
    error.code === 'FST_ERR_BAD_URL'
      ? ['bad_url', 'the URL path is not validly percent-encoded']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? ['uri_too_long', 'a path parameter is too long']
        : ['bad_request', 'the request could not be routed'];
  void reply
    .code(status)
    .header('Content-Type', 'application/json; charset=utf-8')
    .send({ error: { status, code, message } });
}
