/** Node socket errors that mean the server cannot be reached at all. */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** pg client messages for a connection that failed or died (they carry no code). */
const CONNECTION_MESSAGES = [
  'connection terminated',
  'timeout exceeded when trying to connect',
  'client has encountered a connection error',
  'connection ended unexpectedly',
];

/**
 * Whether `error` says PostgreSQL cannot be reached (as opposed to a bad statement or a
 * constraint): socket errors, pg's connection messages, SQLSTATE class 08 (connection
 * exception) and 57P01–57P03 (server shutting down, starting up).
 */
export function isConnectionFailure(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: errors from Node's sockets may come from another realm.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
  }
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.toLowerCase().includes(m))) return true;
  // Node reports a refused connection to several addresses as an AggregateError.
  if (Array.isArray(errors) && errors.some(isConnectionFailure)) return true;
  return cause !== undefined && cause !== error && isConnectionFailure(cause);
}
