import { hash } from 'node:crypto';

/** Lower-case hex SHA-256 of the exact bytes received; ties an alert to its raw payload. */
export function sha256Hex(data: Buffer | string): string {
  // One-shot: no Hash object per call (a storm hashes every delivery's body).
  return hash('sha256', data, 'hex');
}
