import { Module } from '@nestjs/common';
import { ApprovalsModule } from '../approvals/approvals.module';
import { AuthModule } from '../auth/auth.module';
import { ConsoleAuthModule } from './auth/console-auth.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { ConsoleApprovalsController } from './console-approvals.controller';
import { ConsoleAssetsController } from './console-assets.controller';
import { ConsoleEventsController } from './console-events.controller';
import { ConsoleIncidentsController } from './console-incidents.controller';
import { ConsolePlaybooksController } from './console-playbooks.controller';
import { ConsoleLiveUpdates } from './live-updates';

/**
 * The responders' console (docs/console.md): the shared shell (layout.ts, assets/), live
 * updates, the incident pages, the approvals inbox and the playbooks pages (over the API's own
 * services). Other console pages add their controllers here and render through layout.ts.
 */
@Module({
  imports: [AuthModule, ConsoleAuthModule, IncidentsModule, ApprovalsModule, PlaybooksModule],
  controllers: [
    ConsoleAssetsController,
    ConsoleEventsController,
    ConsoleIncidentsController,
    ConsoleApprovalsController,
    ConsolePlaybooksController,
  ],
  providers: [ConsoleLiveUpdates],
  exports: [ConsoleLiveUpdates],
})
export class ConsoleModule {}
