import { Module } from '@nestjs/common';
import { ApprovalsModule } from '../approvals/approvals.module';
import { AuthModule } from '../auth/auth.module';
import { ConsoleAuthModule } from '../console-auth/console-auth.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { ApprovalPagesController } from './approval-pages.controller';
import { PlaybookPagesController } from './playbook-pages.controller';

/** The console's approvals inbox and playbooks pages, over the API's own services. */
@Module({
  imports: [AuthModule, ConsoleAuthModule, ApprovalsModule, PlaybooksModule],
  controllers: [ApprovalPagesController, PlaybookPagesController],
})
export class ConsolePagesModule {}
