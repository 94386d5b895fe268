import { type DynamicModule, Module } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import type { Services } from '../runtime/services';
import { ApprovalsController } from './approvals/approvals.controller';
import { ApprovalsService } from './approvals/approvals.service';
import { OperatorDirectory } from './auth/operator-directory';
import { CodecController } from './codec/codec.controller';
import { HealthController } from './health/health.controller';
import { IncidentsController } from './incidents/incidents.controller';
import { MetricsController } from './metrics/metrics.controller';
import { PlaybooksController } from './playbooks/playbooks.controller';
import { PlaybooksService } from './playbooks/playbooks.service';
import { SlackInteractionsController } from './slack/slack-interactions.controller';
import { SlackInteractionsService } from './slack/slack-interactions.service';
import { CONFIG, LOGGER, SERVICES, TEMPORAL_CLIENT } from './tokens';
import { UiController } from './ui/ui.controller';
import { IntakeService } from './webhooks/intake.service';
import { WebhooksController } from './webhooks/webhooks.controller';

export interface ApiDeps {
  config: InterlockConfig;
  temporal: Client;
  services: Services;
  log: Logger;
}

/** The HTTP API, assembled from objects built outside Nest (config, clients, stores). */
@Module({})
export class ApiModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      controllers: [
        WebhooksController,
        ApprovalsController,
        IncidentsController,
        UiController,
        HealthController,
        PlaybooksController,
        SlackInteractionsController,
        MetricsController,
        CodecController,
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: TEMPORAL_CLIENT, useValue: deps.temporal },
        { provide: SERVICES, useValue: deps.services },
        { provide: LOGGER, useValue: deps.log },
        { provide: OperatorDirectory, useValue: new OperatorDirectory(deps.config.operators) },
        { provide: IntakeService, useValue: new IntakeService(deps.config, deps.temporal, deps.log) },
        { provide: PlaybooksService, useValue: new PlaybooksService(deps.config) },
        {
          provide: SlackInteractionsService,
          useFactory: (approvals: ApprovalsService) =>
            new SlackInteractionsService(
              deps.config,
              approvals,
              deps.services.approvals,
              deps.services.audit,
              deps.services.pool,
              deps.log,
            ),
          inject: [ApprovalsService],
        },
        {
          provide: ApprovalsService,
          useValue: new ApprovalsService(deps.services.approvals, deps.temporal, deps.log, deps.services.audit),
        },
      ],
    };
  }
}
