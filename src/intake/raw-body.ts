import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of the exact bytes received; ties an alert to its raw payload. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
