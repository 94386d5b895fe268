/** Options and action wiring the CLI's commands share. */
import { Option, type Command } from 'commander';
import type { RemoteOptions } from './api-client';

export interface JsonOption {
  json?: boolean;
}

export function jsonOption(command: Command): Command {
  return command.option('--json', 'machine-readable JSON on stdout');
}

/** `--url` and `--api-key-file` for commands that call a running API; the key itself never is a flag. */
export function remoteOptions(command: Command): Command {
  return jsonOption(
    command
      .addOption(
        new Option(
          '--url <url>',
          'API base URL (default http://127.0.0.1:<server.port of INTERLOCK_CONFIG, else 3000>)',
        ).env('INTERLOCK_URL'),
      )
      .option('--api-key-file <file>', 'read the operator API key from this file (default: INTERLOCK_API_KEY)'),
  );
}

export type RemoteCommandOptions = RemoteOptions & JsonOption;

/** Runs an action and sets the process's exit code from what it returns. */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}
