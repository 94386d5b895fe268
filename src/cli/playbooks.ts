/**
 * `interlock playbooks validate|dry-run`. Validation is offline (the loader the worker uses;
 * policy warnings when a configuration is given); the dry run asks a running API, so it is
 * judged by the playbooks, inventory and policy that API has loaded.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { PolicyWarning } from '../playbooks/dry-run';
import { checkPlaybookYaml, type PlaybookFileIssue } from '../playbooks/loader';
import type { Playbook } from '../playbooks/schema';
import { ApiClient, firstLine } from './api-client';
import { dryRunSchema } from './api-schemas';
import { CliError, EXIT } from './cli-error';
import { act, jsonOption, remoteOptions, type JsonOption, type RemoteCommandOptions } from './command-kit';
import { table, writeJson, writeLine } from './output';

const PLAYBOOK_FILE = /\.ya?ml$/i;
/** The loader's limit (src/playbooks/loader.ts). */
const MAX_FILE_BYTES = 256 * 1024;

interface FileReport {
  file: string;
  valid: boolean;
  playbook?: { id: string; version: number };
  issues: PlaybookFileIssue[];
  warnings: PolicyWarning[];
}

/** Files named, and the *.yaml / *.yml files of directories named (not recursive, as the loader). */
function playbookFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot read ${path}: ${firstLine(error)}`);
    }
    if (!isDirectory) return [path];
    const files = readdirSync(path)
      .filter((name) => PLAYBOOK_FILE.test(name))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) throw new CliError(EXIT.usage, `${path}: no *.yaml or *.yml file`);
    return files;
  });
}

/** Policy warnings as a configuration decides them; loaded only with --config (the schema pulls in every connector). */
async function warningsFor(configPath: string): Promise<(playbook: Playbook) => PolicyWarning[]> {
  const [{ loadConfig }, { PolicyEngine }, { policyWarnings }] = await Promise.all([
    import('../config/load.js'),
    import('../policy/policy-engine.js'),
    import('../playbooks/dry-run.js'),
  ]);
  const engine = new PolicyEngine(loadConfig(configPath));
  return (playbook) => policyWarnings(playbook, engine);
}

async function validateFiles(paths: string[], options: JsonOption & { config?: string }): Promise<number> {
  let warn: ((playbook: Playbook) => PolicyWarning[]) | undefined;
  if (options.config !== undefined) {
    try {
      warn = await warningsFor(options.config);
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot use the configuration for policy warnings: ${firstLine(error)}`);
    }
  }
  const reports: FileReport[] = [];
  const fileById = new Map<string, string>();
  for (const file of playbookFiles(paths)) {
    let text: string;
    try {
      if (statSync(file).size > MAX_FILE_BYTES) {
        reports.push({
          file,
          valid: false,
          issues: [{ file, path: '(root)', message: `larger than the limit of ${MAX_FILE_BYTES} bytes` }],
          warnings: [],
        });
        continue;
      }
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot read ${file}: ${firstLine(error)}`);
    }
    const result = checkPlaybookYaml(text, file);
    if (!result.ok) {
      reports.push({ file, valid: false, issues: result.issues, warnings: [] });
      continue;
    }
    const { id, version } = result.playbook;
    const other = fileById.get(id);
    if (other !== undefined) {
      // The loader refuses a directory where two files share an id.
      reports.push({
        file,
        valid: false,
        playbook: { id, version },
        issues: [{ file, path: 'id', message: `duplicate playbook id "${id}" (also in ${other})` }],
        warnings: [],
      });
      continue;
    }
    fileById.set(id, file);
    const warnings = warn === undefined ? [] : warn(result.playbook);
    reports.push({ file, valid: true, playbook: { id, version }, issues: [], warnings });
  }
  const ok = reports.every((r) => r.valid);
  if (options.json) writeJson({ ok, files: reports });
  else {
    for (const report of reports) {
      writeLine(
        report.valid
          ? `OK       ${report.file}: ${report.playbook?.id} v${report.playbook?.version}`
          : `INVALID  ${report.file}`,
      );
      for (const issue of report.issues)
        writeLine(
          `  ${issue.file}${issue.line === undefined ? '' : `:${issue.line}`}: ${issue.path}: ${issue.message}`,
        );
      for (const warning of report.warnings) writeLine(`  warning ${warning.path}: ${warning.message}`);
    }
    const invalid = reports.filter((r) => !r.valid).length;
    writeLine(`${reports.length} file(s): ${reports.length - invalid} valid, ${invalid} invalid`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}

interface DryRunOptions extends RemoteCommandOptions {
  alert: string;
  source: string;
}

async function dryRun(playbookId: string, options: DryRunOptions): Promise<number> {
  let alert: unknown;
  try {
    alert = JSON.parse(readFileSync(options.alert, 'utf8'));
  } catch (error) {
    throw new CliError(EXIT.usage, `--alert ${options.alert}: ${firstLine(error)}`);
  }
  const result = await (
    await ApiClient.from(options)
  ).json('POST', `/playbooks/${encodeURIComponent(playbookId)}/dry-run`, dryRunSchema, {
    source: options.source,
    alert,
  });
  if (options.json) {
    writeJson(result);
    return EXIT.ok;
  }
  writeLine(
    `${result.playbook.id} v${result.playbook.version} on "${result.alert.title}" (${result.alert.severity}): ` +
      `trigger ${result.triggerMatches ? 'matches' : 'does not match'}; incident ${result.incidentId}; nothing executed`,
  );
  const rows = result.steps.map((s) => [
    s.stepId,
    s.action,
    s.target?.ref ?? '-',
    s.target?.zone ?? '-',
    s.outcome ?? s.status,
    s.rule ?? s.detail ?? '-',
  ]);
  for (const line of table(['STEP', 'ACTION', 'TARGET', 'ZONE', 'OUTCOME', 'RULE'], rows)) writeLine(line);
  return EXIT.ok;
}

export function playbooksCommand(): Command {
  const playbooks = new Command('playbooks').description('playbook tooling: validate offline, dry-run on the API');
  jsonOption(
    playbooks
      .command('validate')
      .description('validate playbook files offline (field paths and lines); directories: their *.yaml files')
      .argument('<paths...>', 'playbook files or directories')
      .option('--config <file>', 'add policy warnings as this configuration would decide them'),
  ).action(act(validateFiles));
  remoteOptions(
    playbooks
      .command('dry-run')
      .description(
        'decide every step of a loaded playbook for an alert, executing nothing (POST /playbooks/{id}/dry-run)',
      )
      .argument('<playbookId>')
      .requiredOption('--alert <file>', 'the alert as JSON, exactly as the source would POST it')
      .option('--source <source>', 'the webhook source (or format) the alert is written in', 'generic'),
  ).action(act(dryRun));
  return playbooks;
}
