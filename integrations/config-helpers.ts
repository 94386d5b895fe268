/** Building blocks of connector configuration schemas (each connector's config.ts). */
import { z } from 'zod';
import { durationSchema } from '../src/config/duration';

export const nonEmpty = z.string().min(1, 'must not be empty');

/** Every HTTP connector: where its API is, and how long one call may take (default 10 s). */
export const httpIntegration = { baseUrl: z.url(), timeout: durationSchema.default(10_000) };

export { durationSchema };
