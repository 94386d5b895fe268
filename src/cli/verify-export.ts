/**
 * `interlock audit verify-export <file>` (also `interlock verify-export <file>`, or
 * `node dist/src/cli/verify-export.js <file>`): verifies an incident's audit export (JSON or
 * CSV) or evidence bundle offline, without the database or the API.
 * Exit code 0 verified, 1 broken, 2 unusable input.
 */
import { readFileSync } from 'node:fs';
import { verifyExportText, type OfflineVerifyResult } from '../audit/offline-verify';

export type VerifyExportOutcome =
  | { code: 0 | 1; file: string; result: OfflineVerifyResult; line: string }
  | { code: 2; file: string; error: string; line: string };

/** Verifies one file; never throws. `line` is the one-line human answer. */
export function verifyExportFile(file: string): VerifyExportOutcome {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const message = `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`;
    return { code: 2, file, error: message, line: message };
  }
  let result: OfflineVerifyResult;
  try {
    result = verifyExportText(text);
  } catch (error) {
    const message = `${file}: ${error instanceof Error ? error.message : String(error)}`;
    return { code: 2, file, error: message, line: message };
  }
  const range = `seq ${result.firstSeq ?? '?'}..${result.lastSeq ?? '?'}`;
  if (result.ok)
    return {
      code: 0,
      file,
      result,
      line:
        `OK ${file}: ${result.checked} record(s) rehashed, ${result.linksChecked} chain link(s) checked, ${range}` +
        (result.contiguous
          ? ' (contiguous segment)'
          : ' (no chain links in this format: records linked where adjacent)'),
    };
  const broken = result.firstBroken;
  return {
    code: 1,
    file,
    result,
    line: `BROKEN ${file}: record seq ${broken?.seq ?? '?'}${broken?.idempotencyKey ? ` (${broken.idempotencyKey})` : ''}: ${broken?.reason ?? 'unknown'}`,
  };
}

export function runVerifyExport(
  args: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): number {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    out('usage: interlock audit verify-export <export.json|export.csv|evidence.json>');
    return 2;
  }
  const outcome = verifyExportFile(file);
  out(outcome.line);
  return outcome.code;
}

if (require.main === module) process.exitCode = runVerifyExport(process.argv.slice(2));
