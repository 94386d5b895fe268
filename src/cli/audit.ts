/**
 * `interlock audit verify|export|verify-export`: the hash chain checked by a running API, an
 * incident's export (or evidence bundle) downloaded, and an export verified offline.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { ApiClient, firstLine } from './api-client';
import { auditExportSchema, verifyResultSchema } from './api-schemas';
import { CliError, EXIT } from './cli-error';
import { act, jsonOption, remoteOptions, type JsonOption, type RemoteCommandOptions } from './command-kit';
import { writeJson, writeLine } from './output';
import { verifyExportFile } from './verify-export';

async function verify(options: RemoteCommandOptions & { incident?: string }): Promise<number> {
  const suffix = options.incident === undefined ? '' : `?incidentId=${encodeURIComponent(options.incident)}`;
  const result = await (await ApiClient.from(options)).json('GET', `/audit/verify${suffix}`, verifyResultSchema);
  if (options.json) writeJson(result);
  else if (result.ok)
    writeLine(
      `OK: ${result.checked} record(s) verified${options.incident === undefined ? '' : ` (${options.incident})`}` +
        (result.checkpoint === undefined ? '' : `, from the retention checkpoint at seq ${result.checkpoint.seq}`),
    );
  else {
    const b = result.firstBroken;
    const what = [b?.incidentId, b?.eventType, b?.idempotencyKey].filter(Boolean).join(', ');
    writeLine(
      `BROKEN: record seq ${b?.seq ?? '?'}${what === '' ? '' : ` (${what})`}: ${b?.reason ?? 'unknown'}; ${result.checked} record(s) checked`,
    );
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}

const evidenceSchema = z.looseObject({
  format: z.literal('interlock-evidence/1'),
  incidentId: z.string(),
  records: z.array(z.looseObject({ seq: z.number() })),
});

interface ExportOptions extends RemoteCommandOptions {
  format: 'json' | 'csv';
  evidence?: boolean;
  output?: string;
}

async function exportIncident(incidentId: string, options: ExportOptions): Promise<number> {
  if (options.evidence && options.format === 'csv')
    throw new CliError(EXIT.usage, 'the evidence bundle is JSON only: drop --format csv or --evidence');
  const client = await ApiClient.from(options);
  const id = encodeURIComponent(incidentId);
  let text: string;
  let records: number;
  if (options.evidence) {
    // Saved as the API sent it: the evidence is the server's bytes, not a re-serialization.
    const bundle = await client.document('GET', `/incidents/${id}/evidence`, evidenceSchema);
    text = bundle.text;
    records = bundle.value.records.length;
  } else if (options.format === 'json') {
    const exported = await client.document('GET', `/incidents/${id}/audit?format=json`, auditExportSchema);
    text = exported.text;
    records = exported.value.records.length;
  } else {
    text = await client.text('GET', `/incidents/${id}/audit?format=csv`);
    records = Math.max(0, text.trimEnd().split('\r\n').length - 1);
  }
  if (options.output === undefined) {
    // The document itself is the output (JSON or CSV, whatever --json says).
    process.stdout.write(text);
    return EXIT.ok;
  }
  try {
    writeFileSync(options.output, text, { flag: 'w' });
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot write ${options.output}: ${firstLine(error)}`);
  }
  const kind = options.evidence ? 'evidence' : options.format;
  if (options.json) writeJson({ incidentId, file: options.output, kind, records, bytes: Buffer.byteLength(text) });
  else writeLine(`wrote ${options.output}: ${records} record(s) of ${incidentId} (${kind})`);
  return EXIT.ok;
}

function verifyExport(file: string, options: JsonOption): number {
  const outcome = verifyExportFile(file);
  if (outcome.code === 2) throw new CliError(EXIT.usage, outcome.error);
  if (options.json) writeJson({ file, ...outcome.result });
  else writeLine(outcome.line);
  return outcome.code;
}

/** The offline verifier as a command (also registered as the top-level `verify-export`). */
export function verifyExportCommand(name = 'verify-export'): Command {
  return jsonOption(
    new Command(name)
      .description('verify an audit export (JSON or CSV) or evidence bundle offline: no API, no database')
      .argument('<file>'),
  ).action(act(verifyExport));
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit trail: verify, export, verify an export offline');
  remoteOptions(
    audit
      .command('verify')
      .description('recompute the hash chain on the server (GET /audit/verify)')
      .option('--incident <incidentId>', "only this incident's segment"),
  ).action(act(verify));
  remoteOptions(
    audit
      .command('export')
      .description("an incident's audit records (GET /incidents/{id}/audit) or evidence bundle (--evidence)")
      .argument('<incidentId>')
      .addOption(new Option('--format <format>', 'json or csv').choices(['json', 'csv']).default('json'))
      .option('--evidence', 'the NERC CIP evidence bundle instead (GET /incidents/{id}/evidence)')
      .option('-o, --output <file>', 'write to this file (default stdout)'),
  ).action(act(exportIncident));
  audit.addCommand(verifyExportCommand());
  return audit;
}
