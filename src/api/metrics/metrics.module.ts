import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MetricsController } from './metrics.controller';
import { MetricsGuard } from './metrics.guard';
import { MetricsService } from './metrics.service';

/** GET /metrics for operators. */
@Module({ imports: [AuthModule], controllers: [MetricsController], providers: [MetricsService, MetricsGuard] })
export class MetricsModule {}
