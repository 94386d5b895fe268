import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { ApiError } from '../common/api-error';
import { type AuthenticatedOperator, OperatorDirectory } from './operator-directory';

type RequestWithOperator = Request & { operator?: AuthenticatedOperator };

/** Requires `Authorization: Bearer <operator API key>` on the route. */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(@Inject(OperatorDirectory) private readonly directory: OperatorDirectory) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RequestWithOperator>();
    const operator = this.directory.authenticate(req.headers.authorization);
    if (operator === undefined) {
      throw new ApiError(
        401,
        'unauthorized',
        'a valid operator API key is required (Authorization: Bearer <key>)',
        undefined,
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    req.operator = operator;
    return true;
  }
}

/** The operator authenticated by OperatorGuard. */
export const CurrentOperator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedOperator => {
    const operator = context.switchToHttp().getRequest<RequestWithOperator>().operator;
    if (operator === undefined) throw new ApiError(401, 'unauthorized', 'not authenticated');
    return operator;
  },
);
