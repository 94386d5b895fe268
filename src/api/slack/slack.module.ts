import { Module } from '@nestjs/common';
import type { Services } from '../../runtime/services';
import { SlackReplayStore } from '../../db/slack-replay-store';
import { ApprovalsModule } from '../approvals/approvals.module';
import { SERVICES } from '../tokens';
import { SLACK_MAX_AGE_SECONDS } from './slack-signature';
import { SlackSignatureGuard } from './slack-signature.guard';
import { SlackController } from './slack.controller';
import { SlackService } from './slack.service';

/** Slack's approval buttons: signature guard (with its replay store), decisions through ApprovalsService. */
@Module({
  imports: [ApprovalsModule],
  controllers: [SlackController],
  providers: [
    SlackService,
    SlackSignatureGuard,
    {
      provide: SlackReplayStore,
      useFactory: (services: Services) => new SlackReplayStore(services.pool, SLACK_MAX_AGE_SECONDS),
      inject: [SERVICES],
    },
  ],
})
export class SlackModule {}
