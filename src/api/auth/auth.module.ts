import { Module } from '@nestjs/common';
import type { InterlockConfig } from '../../config/schema';
import { CONFIG } from '../tokens';
import { OperatorDirectory } from './operator-directory';
import { OperatorGuard } from './operator.guard';

/** Operator authentication: the API-key directory and the guard of operator routes. */
@Module({
  providers: [
    {
      provide: OperatorDirectory,
      useFactory: (config: InterlockConfig) => new OperatorDirectory(config.operators),
      inject: [CONFIG],
    },
    OperatorGuard,
  ],
  exports: [OperatorDirectory, OperatorGuard],
})
export class AuthModule {}
