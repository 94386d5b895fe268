import { Body, Param, type PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { z } from 'zod';
import { ApiError, issuesFromZod } from './api-error';
import { openApiSchema } from './openapi-schema';

/**
 * The one validation pipe of the API: parses a request part with its zod schema; a failure is
 * `400 invalid_request` naming each field (`issues[].path`). `what` names the part in the message.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    private readonly what: string,
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (!result.success)
      throw new ApiError(400, 'invalid_request', `invalid ${this.what}`, issuesFromZod(result.error.issues));
    return result.data;
  }
}

/*
 * Parameter decorators that validate a request part with a zod schema (ZodPipe) and declare the
 * same schema in the OpenAPI document, so the route, its validation and its description are
 * written once, side by side. Nest runs the pipes in argument order, after the guards.
 */

/** The method a parameter decorator sits on, as a method decorator needs it. */
function descriptorOf(target: object, key: string | symbol | undefined): PropertyDescriptor {
  const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined) throw new Error('zod request decorators belong on route handler parameters');
  return descriptor;
}

/** The JSON request body, validated by `schema` and documented as the operation's `requestBody`. */
export function ZodBody(schema: z.ZodType, what = 'request'): ParameterDecorator {
  const document = ApiBody({ required: true, schema: openApiSchema(schema) });
  return (target, key, index) => {
    Body(new ZodPipe(schema, what))(target, key, index);
    document(target, key as string | symbol, descriptorOf(target, key));
  };
}

/** The query string, validated by an object `schema`; each property is documented as a query parameter. */
export function ZodQuery(schema: z.ZodType, what = 'query'): ParameterDecorator {
  const json = openApiSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const documents = Object.entries(json.properties ?? {}).map(([name, { description, ...property }]) =>
    ApiQuery({
      name,
      required: json.required?.includes(name) ?? false,
      schema: property,
      ...(typeof description === 'string' ? { description } : {}),
    }),
  );
  return (target, key, index) => {
    Query(new ZodPipe(schema, what))(target, key, index);
    for (const document of documents) document(target, key as string | symbol, descriptorOf(target, key));
  };
}

/** One path parameter, validated by `schema` and documented with it. */
export function ZodParam(name: string, schema: z.ZodType, what: string): ParameterDecorator {
  const { description, ...property } = openApiSchema(schema);
  const document = ApiParam({
    name,
    required: true,
    schema: property,
    ...(typeof description === 'string' ? { description } : {}),
  });
  return (target, key, index) => {
    Param(name, new ZodPipe(schema, what))(target, key, index);
    document(target, key as string | symbol, descriptorOf(target, key));
  };
}
