import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** The public health check for load balancers. */
@Module({ controllers: [HealthController], providers: [HealthService] })
export class HealthModule {}
