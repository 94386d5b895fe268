import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { InterlockConfig } from '../../config/schema';
import { OperatorGuard } from '../auth/operator.guard';
import { CONFIG } from '../tokens';

/** GET /metrics asks for an operator's credentials unless `metrics.requireAuth` is false. */
@Injectable()
export class MetricsGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorGuard) private readonly operators: OperatorGuard,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    return !this.config.metrics.requireAuth || this.operators.canActivate(context);
  }
}
