import { Module } from '@nestjs/common';
import { ConsoleAuthModule } from '../console-auth/console-auth.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { ConsoleAssetsController } from './console-assets.controller';
import { ConsoleEventsController } from './console-events.controller';
import { ConsoleIncidentsController } from './console-incidents.controller';
import { ConsoleLiveUpdates } from './live-updates';

/**
 * The responders' console (docs/console.md): the shared shell (layout.ts, assets/), live
 * updates, the incident pages. Other console pages add their controllers here and render
 * through layout.ts.
 */
@Module({
  imports: [ConsoleAuthModule, IncidentsModule],
  controllers: [ConsoleAssetsController, ConsoleEventsController, ConsoleIncidentsController],
  providers: [ConsoleLiveUpdates],
  exports: [ConsoleLiveUpdates],
})
export class ConsoleModule {}
