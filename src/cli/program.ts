/**
 * The `interlock` command: the service modes (api, worker, dev, migrate; run by src/main.ts)
 * and the operator commands, in one commander tree. `bin/interlock.js` and
 * `node dist/src/main.js <command>` both come here.
 */
import { Command, CommanderError } from 'commander';
import { firstLine } from './api-client';
import { approvalsCommand } from './approvals';
import { auditCommand, verifyExportCommand } from './audit';
import { CliError, EXIT, EXIT_CODES_HELP } from './cli-error';
import { act, jsonOption, type JsonOption } from './command-kit';
import { configCommand } from './config-check';
import { incidentsCommand } from './incidents';
import { writeJson, writeLine } from './output';
import { playbooksCommand } from './playbooks';

export const SERVICE_MODES = ['api', 'worker', 'dev', 'migrate'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

const SERVICE_DESCRIPTIONS: Record<ServiceMode, string> = {
  api: 'run the HTTP API (needs temporal.address and database.url)',
  worker: 'run the Temporal worker: workflows and activities (needs temporal.address and database.url)',
  dev: 'API + worker in one process, with an embedded Temporal dev server, PostgreSQL and simulated lab when not configured',
  migrate: 'apply database migrations and exit (as the schema owner)',
};

const ENVIRONMENT_HELP = `Environment:
  INTERLOCK_CONFIG   configuration file (services, prune, config check; dev has a default)
  INTERLOCK_URL      API base URL for the commands that call the API (or --url)
  INTERLOCK_API_KEY  operator API key for those commands (or --api-key-file; never a flag)`;

async function prune(options: JsonOption & { config?: string }): Promise<number> {
  const path = options.config ?? (process.env['INTERLOCK_CONFIG'] || undefined);
  if (path === undefined) throw new CliError(EXIT.usage, 'name the configuration file: INTERLOCK_CONFIG or --config');
  // Loaded when used, so the other commands start fast (the configuration schema pulls in every connector).
  const [{ ConfigError, loadConfig }, { AuditPruneRefused }, { runPruneAudit }] = await Promise.all([
    import('../config/load.js'),
    import('../audit/retention.js'),
    import('./prune-audit.js'),
  ]);
  let config;
  try {
    config = loadConfig(path);
  } catch (error) {
    throw new CliError(EXIT.usage, firstLine(error));
  }
  let result;
  try {
    result = await runPruneAudit(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, error.message);
    if (error instanceof AuditPruneRefused) throw new CliError(EXIT.failed, `refused: ${error.message}`);
    throw new CliError(EXIT.failed, firstLine(error));
  }
  if (options.json) writeJson(result);
  else
    writeLine(
      result.pruned > 0
        ? `${result.pruned} audit records pruned (older than ${result.cutoff}); checkpoint at seq ${result.checkpoint?.seq ?? '?'}`
        : `no audit record older than the retention (cutoff ${result.cutoff})`,
    );
  return EXIT.ok;
}

/** Every command of the tree reports usage errors by throwing (exit code 2), never by exiting. */
function throwOnUsageErrors(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    outputError: (message, write) => write(message.replace(/^error: /, 'interlock: ')),
  });
  for (const sub of command.commands) throwOnUsageErrors(sub);
}

export function buildProgram(serve: (mode: ServiceMode) => Promise<void>): Command {
  const program = new Command('interlock')
    .description('Interlock: SOAR playbook automation for converged IT/OT SOCs — services and operator commands')
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}\n\nReference: docs/cli.md`);
  for (const mode of SERVICE_MODES)
    program
      .command(mode)
      .description(SERVICE_DESCRIPTIONS[mode])
      .action(() => serve(mode));
  program.addCommand(incidentsCommand());
  program.addCommand(approvalsCommand());
  program.addCommand(auditCommand());
  program.addCommand(playbooksCommand());
  program.addCommand(configCommand());
  jsonOption(
    program
      .command('prune')
      // The name it had before the command tree; cron entries may still use it.
      .alias('prune-audit')
      .description('remove audit records older than audit.retention, keeping a checkpoint (as the schema owner)')
      .option('--config <file>', 'the configuration file (default INTERLOCK_CONFIG)'),
  ).action(act(prune));
  // Before `audit verify-export` existed; kept so documented commands and scripts keep working.
  program.addCommand(verifyExportCommand(), { hidden: true });
  throwOnUsageErrors(program);
  return program;
}

/** Parses `args` (without node and script), runs the command and sets process.exitCode. */
export async function runCli(args: string[], serve: (mode: ServiceMode) => Promise<void>): Promise<void> {
  const program = buildProgram(serve);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already written the error line to stderr.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`interlock: ${error instanceof CliError ? error.message : firstLine(error)}\n`);
    process.exitCode = error instanceof CliError ? error.code : EXIT.failed;
  }
}
