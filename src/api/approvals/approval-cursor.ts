/**
 * The opaque `cursor` of GET /approvals: the list position of a page's last row, as base64url
 * JSON. Clients pass back what `nextCursor` gave them; anything else is a 400.
 */
import { z } from 'zod';
import { positionSchema, type ApprovalPosition } from '../../approvals/approval-store';

export function encodeCursor(position: ApprovalPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

/** Validates and decodes a cursor inside a zod schema (so a bad one is reported by field path). */
export const cursorSchema = z
  .string()
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor returned by this API')
  .transform((value, ctx): ApprovalPosition => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const position = z
      .tuple([z.string(), z.string()])
      .transform(([createdAt, id]) => ({ createdAt, id }))
      .pipe(positionSchema)
      .safeParse(decoded);
    if (!position.success) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    }
    return position.data;
  });
