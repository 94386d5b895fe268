import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { OperatorDirectory } from '../auth/operator-directory';
import { ApiError } from '../common/api-error';
import { checkCodecLink } from './codec-link';

const linkParamsSchema = z.object({
  op: z.string().min(1).max(200),
  exp: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * `POST /codec/:op/:exp/:sig/*`: the signed path from GET /codec/link is the credential (the
 * Temporal Web UI cannot send the operator's Authorization header). A malformed, forged or
 * expired link is 401, before the body is read.
 */
@Injectable()
export class CodecLinkGuard implements CanActivate {
  constructor(@Inject(OperatorDirectory) private readonly directory: OperatorDirectory) {}

  canActivate(context: ExecutionContext): boolean {
    const link = linkParamsSchema.safeParse(context.switchToHttp().getRequest<{ params: unknown }>().params);
    const apiKey = link.success ? this.directory.byId(link.data.op)?.apiKey : undefined;
    if (!link.success || apiKey === undefined || !checkCodecLink(apiKey, link.data))
      throw new ApiError(
        401,
        'unauthorized',
        'this codec endpoint link is invalid or expired: get a new one from GET /codec/link',
      );
    return true;
  }
}
