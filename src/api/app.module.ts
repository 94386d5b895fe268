import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { InterlockConfig } from '../config/schema';
import type { Logger } from '../logging';
import { Lifecycle } from '../runtime/health';
import type { Services } from '../runtime/services';
import { ApprovalsModule } from './approvals/approvals.module';
import { CodecModule } from './codec/codec.module';
import type { ConsoleAuthHooks } from './console/auth/console-auth.service';
import { ConsoleAuthModule } from './console/auth/console-auth.module';
import { ConsoleModule } from './console/console.module';
import { HealthModule } from './health/health.module';
import { IncidentsModule } from './incidents/incidents.module';
import { MetricsModule } from './metrics/metrics.module';
import { PlaybooksModule } from './playbooks/playbooks.module';
import { SlackModule } from './slack/slack.module';
import { CONFIG, CONSOLE_HOOKS, LIFECYCLE, LOGGER, SERVICES, TEMPORAL_CLIENT } from './tokens';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface ApiDeps {
  config: InterlockConfig;
  temporal: Client;
  services: Services;
  log: Logger;
  /** Whether the process is draining (readiness, refusals); createApiApp makes one when absent. */
  lifecycle?: Lifecycle;
  /** Tests only: the console's clock and IdP fetch. */
  consoleHooks?: ConsoleAuthHooks;
}

/**
 * The objects built outside Nest (configuration, Temporal client, PostgreSQL stores, logger),
 * offered to every feature module under the tokens of tokens.ts.
 */
@Global()
@Module({})
class SharedDepsModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: deps.config },
      { provide: TEMPORAL_CLIENT, useValue: deps.temporal },
      { provide: SERVICES, useValue: deps.services },
      { provide: LOGGER, useValue: deps.log },
      { provide: CONSOLE_HOOKS, useValue: deps.consoleHooks ?? {} },
      { provide: LIFECYCLE, useValue: deps.lifecycle ?? new Lifecycle() },
    ];
    return { module: SharedDepsModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/** The HTTP API: one Nest module per feature (module, controller, service), over the shared deps. */
@Module({})
export class ApiModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        SharedDepsModule.forRoot(deps),
        WebhooksModule,
        ApprovalsModule,
        IncidentsModule,
        PlaybooksModule,
        SlackModule,
        HealthModule,
        MetricsModule,
        CodecModule,
        ConsoleAuthModule,
        ConsoleModule,
      ],
    };
  }
}
