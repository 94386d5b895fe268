/**
 * `interlock config check [file]`: loads a configuration as the services do (src/config/load.ts)
 * and the playbooks it names, and says what is wrong with field paths. Offline.
 */
import { Command } from 'commander';
import type { InterlockConfig } from '../config/schema';
import { firstLine } from './api-client';
import { CliError, EXIT } from './cli-error';
import { act, jsonOption, type JsonOption } from './command-kit';
import { writeJson, writeLine } from './output';

interface CheckReport {
  ok: boolean;
  file: string;
  /** What prevents the services from starting, each `path: message`. */
  problems: string[];
  /** What they would start with but log: steps whose connector is not configured. */
  warnings: string[];
  summary?: { sources: number; operators: number; zones: number; assets: number; playbooks: number };
}

async function checkPlaybooks(config: InterlockConfig, report: CheckReport): Promise<number> {
  const [{ checkPlaybookConnectors }, { loadPlaybooks, PlaybookLoadError }, { PolicyEngine }] = await Promise.all([
    import('../playbooks/connector-check.js'),
    import('../playbooks/loader.js'),
    import('../policy/policy-engine.js'),
  ]);
  try {
    const playbooks = await loadPlaybooks(config.playbooks.dir);
    const check = checkPlaybookConnectors(playbooks, config, new PolicyEngine(config));
    // Worded as the worker logs them at startup (src/worker/worker.ts).
    const loadedAnyway = config.playbooks.missingConnector === 'warn';
    for (const f of check.refused)
      report.warnings.push(
        loadedAnyway
          ? `${f.message.replace(/: the playbook is not loaded$/, '')}: loaded anyway (playbooks.missingConnector: warn)`
          : f.message,
      );
    for (const f of check.warnings) report.warnings.push(f.message);
    return playbooks.length;
  } catch (error) {
    if (error instanceof PlaybookLoadError)
      report.problems.push(
        ...error.issues.map(
          (i) => `playbooks.dir ${i.file}${i.line === undefined ? '' : `:${i.line}`}: ${i.path}: ${i.message}`,
        ),
      );
    else report.problems.push(`playbooks.dir: ${firstLine(error)}`);
    return 0;
  }
}

async function check(file: string | undefined, options: JsonOption): Promise<number> {
  const path = file ?? (process.env['INTERLOCK_CONFIG'] || undefined);
  if (path === undefined) throw new CliError(EXIT.usage, 'name the configuration file, or set INTERLOCK_CONFIG');
  const report: CheckReport = { ok: false, file: path, problems: [], warnings: [] };
  // Loaded when used: the configuration schema pulls in every connector.
  const { ConfigError, loadConfig } = await import('../config/load.js');
  let config: InterlockConfig | undefined;
  try {
    config = loadConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.problems.length === 0) {
      // Nothing to judge: the file cannot be read.
      if (error.message.startsWith('Cannot read')) throw new CliError(EXIT.usage, error.message);
      report.problems.push(error.message);
    } else report.problems.push(...error.problems);
  }
  if (config !== undefined) {
    const playbooks = await checkPlaybooks(config, report);
    report.summary = {
      sources: Object.keys(config.sources).length,
      operators: config.operators.length,
      zones: config.zones.length,
      assets: config.assets.length,
      playbooks,
    };
  }
  report.ok = report.problems.length === 0;
  if (options.json) writeJson(report);
  else {
    const s = report.summary;
    writeLine(
      report.ok && s !== undefined
        ? `OK ${path}: ${s.sources} source(s), ${s.operators} operator(s), ${s.zones} zone(s), ${s.assets} asset(s), ${s.playbooks} playbook(s)`
        : `INVALID ${path}`,
    );
    for (const problem of report.problems) writeLine(`  ${problem}`);
    for (const warning of report.warnings) writeLine(`  warning ${warning}`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

export function configCommand(): Command {
  const config = new Command('config').description('the configuration file');
  jsonOption(
    config
      .command('check')
      .description('load a configuration and its playbooks as the services would; problems with field paths')
      .argument('[file]', 'the configuration file (default INTERLOCK_CONFIG)'),
  ).action(act(check));
  return config;
}
