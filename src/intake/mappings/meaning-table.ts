/**
 * Versioned tables that turn a vendor's alert type (Nozomi type ID, Defender for IoT alert
 * title…) into meaning, for vendors that document the type but not its meaning in the alert
 * body. Every field a table sets is recorded as `mapping:<table>@<version>` in the alert's
 * provenance; bump the version whenever an entry changes meaning, so alerts normalized before
 * and after the change can be told apart.
 *
 * WORKFLOW-SAFE: pure data and functions.
 */
import { attackRef } from '../../alerts/attack';
import type { Category, ControllerMode, OtOperation } from '../../alerts/vocabulary';
import type { SemanticsDraft } from '../normalizers/semantics';

/** What one vendor alert type means; every field optional (set only what the type says). */
export interface MeaningEntry {
  readonly operation?: OtOperation;
  readonly mode?: ControllerMode;
  readonly category?: Category;
  /** ATT&CK technique IDs, in the order the vendor lists them. */
  readonly attacks?: readonly string[];
}

export interface MeaningTable {
  readonly name: string;
  readonly version: string;
  readonly entries: Readonly<Record<string, MeaningEntry>>;
  /** How a vendor's key is looked up (e.g. trimmed and lower-cased for titles). */
  readonly key: (raw: string) => string;
}

export function provenanceOf(table: MeaningTable): string {
  return `mapping:${table.name}@${table.version}`;
}

export function lookup(table: MeaningTable, raw: string | undefined | null): MeaningEntry | undefined {
  if (raw === undefined || raw === null) return undefined;
  const key = table.key(raw);
  return Object.hasOwn(table.entries, key) ? table.entries[key] : undefined;
}

/**
 * The semantics draft fields a table entry gives, with their provenance. `attacks` are only
 * the table's: a caller that has the vendor's own techniques passes those instead.
 */
export function draftFromEntry(
  table: MeaningTable,
  entry: MeaningEntry | undefined,
): Pick<SemanticsDraft, 'operation' | 'mode' | 'category' | 'attacks'> & { provenance: Record<string, string> } {
  if (entry === undefined) return { provenance: {} };
  const source = provenanceOf(table);
  const provenance: Record<string, string> = {};
  const draft: Pick<SemanticsDraft, 'operation' | 'mode' | 'category' | 'attacks'> = {};
  if (entry.operation !== undefined) {
    draft.operation = entry.operation;
    provenance['ot.operation'] = source;
  }
  if (entry.mode !== undefined) {
    draft.mode = entry.mode;
    provenance['ot.mode'] = source;
  }
  if (entry.category !== undefined) {
    draft.category = entry.category;
    provenance['category'] = source;
  }
  if (entry.attacks !== undefined && entry.attacks.length > 0) {
    draft.attacks = entry.attacks.map((id) => attackRef(id));
    provenance['attacks'] = source;
  }
  return { ...draft, provenance };
}
