import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PlaybooksController } from './playbooks.controller';
import { PlaybooksService } from './playbooks.service';

/** Playbook tooling for authors: list, JSON Schema, validate, dry-run. */
@Module({
  imports: [AuthModule],
  controllers: [PlaybooksController],
  providers: [PlaybooksService],
  exports: [PlaybooksService],
})
export class PlaybooksModule {}
