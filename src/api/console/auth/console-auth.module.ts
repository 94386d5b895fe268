import { Module } from '@nestjs/common';
import type { InterlockConfig } from '../../../config/schema';
import type { Logger } from '../../../logging';
import type { Services } from '../../../runtime/services';
import { AuthModule } from '../../auth/auth.module';
import { OperatorDirectory } from '../../auth/operator-directory';
import { CONFIG, CONSOLE_HOOKS, LOGGER, SERVICES } from '../../tokens';
import { ConsoleAuthController } from './console-auth.controller';
import { type ConsoleAuthHooks, ConsoleAuthService } from './console-auth.service';
import { ConsoleSessionGuard } from './console-session.guard';
import { ConsoleSessionStore } from './session-store';

/** The console's sign-in and sessions; exports ConsoleSessionGuard for the console's pages. */
@Module({
  imports: [AuthModule],
  controllers: [ConsoleAuthController],
  providers: [
    {
      provide: ConsoleAuthService,
      useFactory: (
        config: InterlockConfig,
        directory: OperatorDirectory,
        services: Services,
        log: Logger,
        hooks: ConsoleAuthHooks,
      ) => {
        const store = new ConsoleSessionStore(
          services.pool,
          { idleMs: config.console.session.idleTimeout, absoluteMs: config.console.session.absoluteTimeout },
          hooks.now,
        );
        return new ConsoleAuthService(config, directory, store, log, hooks);
      },
      inject: [CONFIG, OperatorDirectory, SERVICES, LOGGER, CONSOLE_HOOKS],
    },
    ConsoleSessionGuard,
  ],
  exports: [ConsoleAuthService, ConsoleSessionGuard],
})
export class ConsoleAuthModule {}
