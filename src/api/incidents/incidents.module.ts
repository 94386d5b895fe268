import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UiController } from '../ui/ui.controller';
import { IncidentsController } from './incidents.controller';
import { IncidentsService } from './incidents.service';

/** Incidents, their audit trail (export, evidence, chain verification) and the timeline page. */
@Module({
  imports: [AuthModule],
  controllers: [IncidentsController, UiController],
  providers: [IncidentsService],
  exports: [IncidentsService],
})
export class IncidentsModule {}
