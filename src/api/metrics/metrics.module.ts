import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** GET /metrics for operators. */
@Module({ imports: [AuthModule], controllers: [MetricsController], providers: [MetricsService] })
export class MetricsModule {}
