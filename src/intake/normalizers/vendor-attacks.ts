/**
 * Helpers for the ATT&CK fields SIEMs send, however they shape them: technique IDs as a string,
 * a list, or a comma-separated string ("T1059, T1486"); tactics as names in any spelling
 * ("Credential Access", "credential-access", "LateralMovement") or IDs (TA0006). Used by the
 * Splunk, Elastic, Sentinel, Wazuh and QRadar normalizers.
 */
import { attackRef, categoryFromAttacks, categoryFromTactic, tacticRef, type AttackRef } from '../../alerts/attack';
import type { Category } from '../../alerts/vocabulary';

type Many = string | readonly (string | null | undefined)[] | null | undefined;

/** Every non-empty word of one or more vendor values, comma/semicolon lists split. */
export function words(...values: Many[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const list = value === null || value === undefined ? [] : typeof value === 'string' ? [value] : value;
    for (const item of list) {
      if (typeof item !== 'string') continue;
      for (const part of item.split(/[,;\n]/)) {
        const word = part.trim();
        if (word !== '' && !out.includes(word)) out.push(word);
      }
    }
  }
  return out;
}

/** A tactic as ATT&CK refs carry it: an ID (TA0006) or a name. */
export function tacticOf(word: string): { uid?: string; name?: string } {
  return /^TA\d{4}$/i.test(word) ? { uid: word.toUpperCase() } : { name: word };
}

/** ATT&CK references for technique IDs (names by position when the vendor lists them in parallel). */
export function attackRefs(
  ids: readonly string[],
  names: readonly string[] = [],
  tactics: readonly string[] = [],
): AttackRef[] {
  const tacticRefs = tactics.map(tacticOf);
  return ids
    .map((id, i) => attackRef(id, names.length === ids.length ? names[i] : undefined, tacticRefs))
    .filter((ref): ref is AttackRef => ref !== undefined);
}

/**
 * The category a vendor's techniques and tactics point to, for vendors that list tactics for the
 * whole alert rather than per technique (Sentinel, Wazuh): a technique that says it (T1486) wins,
 * then the first tactic that does.
 */
export function categoryFromTechniquesAndTactics(
  attacks: readonly AttackRef[],
  tactics: readonly string[],
): Category | undefined {
  const byTechnique = techniqueCategory(attacks);
  if (byTechnique !== undefined) return byTechnique;
  for (const tactic of tactics) {
    const category = categoryFromTactic(tacticRef(tacticOf(tactic))?.name);
    if (category !== undefined) return category;
  }
  return categoryFromAttacks(attacks);
}

/** The category the techniques themselves say (T1486 ransomware), tactics aside. */
export function techniqueCategory(attacks: readonly (AttackRef | undefined)[]): Category | undefined {
  return categoryFromAttacks(attacks.filter((a) => a !== undefined).map((a) => ({ ...a, tactics: [] })));
}

/** A port number from a vendor value ("502", 502), or undefined when it is not one. */
export function portOf(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d{1,5}\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
