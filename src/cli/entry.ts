/**
 * Entry of the installed `interlock` command (bin/interlock.js). The operator commands start
 * without loading the services' code (NestJS, the Temporal worker): src/main.ts is loaded only
 * for a service mode.
 */
import { runCli } from './program';

void runCli(process.argv.slice(2), async (mode) => {
  const { serve } = await import('../main.js');
  await serve(mode);
});
