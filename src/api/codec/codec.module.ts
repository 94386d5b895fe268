import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CodecLinkGuard } from './codec-link.guard';
import { CodecController } from './codec.controller';
import { CodecService } from './codec.service';

/** Temporal's codec server protocol, for the Temporal CLI and Web UI. */
@Module({ imports: [AuthModule], controllers: [CodecController], providers: [CodecService, CodecLinkGuard] })
export class CodecModule {}
