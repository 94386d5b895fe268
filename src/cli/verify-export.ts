/**
 * `interlock verify-export <file>` (or `node dist/src/cli/verify-export.js <file>`): verifies
 * an incident's audit export (JSON or CSV) or evidence bundle offline, without the database.
 * Exit code 0 verified, 1 broken, 2 unusable input.
 */
import { readFileSync } from 'node:fs';
import { verifyExportText } from '../audit/offline-verify';

export function runVerifyExport(
  args: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): number {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    out('usage: interlock verify-export <export.json|export.csv|evidence.json>');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    out(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  try {
    const result = verifyExportText(text);
    const range = `seq ${result.firstSeq ?? '?'}..${result.lastSeq ?? '?'}`;
    if (result.ok) {
      out(
        `OK ${file}: ${result.checked} record(s) rehashed, ${result.linksChecked} chain link(s) checked, ${range}` +
          (result.contiguous
            ? ' (contiguous segment)'
            : ' (no chain links in this format: records linked where adjacent)'),
      );
      return 0;
    }
    const broken = result.firstBroken;
    out(
      `BROKEN ${file}: record seq ${broken?.seq ?? '?'}${broken?.idempotencyKey ? ` (${broken.idempotencyKey})` : ''}: ${broken?.reason ?? 'unknown'}`,
    );
    return 1;
  } catch (error) {
    out(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = runVerifyExport(process.argv.slice(2));
