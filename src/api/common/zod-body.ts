import type { z } from 'zod';
import { ApiError, issuesFromZod } from './api-error';

/** Validates a request part with zod; failures become a 400 naming each field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ApiError(400, 'invalid_request', `invalid ${what}`, issuesFromZod(result.error.issues));
  return result.data;
}
