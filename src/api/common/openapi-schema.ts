import { z } from 'zod';

/**
 * A zod schema as an OpenAPI 3.1 Schema Object: the request as a client writes it (`io:
 * 'input'`). 3.1's dialect is JSON Schema 2020-12, zod's default target; only `$schema` goes,
 * since the document's dialect already says it.
 */
export function openApiSchema(schema: z.ZodType, options: { unrepresentable?: 'any' } = {}): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { ...options, io: 'input' });
  return rest;
}
