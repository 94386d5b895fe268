import type { z } from 'zod';
import type { NormalizeFn } from './common';
import * as defenderIot from './defender-iot';
import * as elastic from './elastic';
import * as generic from './generic';
import * as nozomi from './nozomi';
import * as qradar from './qradar';
import * as sentinel from './sentinel';
import * as splunk from './splunk';
import * as wazuh from './wazuh';

export { NormalizationError, isReceiptTimed, type FieldIssue, type NormalizeContext, type NormalizeFn } from './common';

/** Validates and normalizes one delivery; throws NormalizationError with field paths. */
export type Normalizer = NormalizeFn;

export interface VendorFormat {
  /** Vendor product written to alert.source.product. */
  product: string;
  /** zod schema of the vendor's webhook body (e.g. for OpenAPI docs). */
  bodySchema: z.ZodType;
  normalize: Normalizer;
}

function format(m: { PRODUCT: string; bodySchema: z.ZodType; normalize: NormalizeFn }): VendorFormat {
  return { product: m.PRODUCT, bodySchema: m.bodySchema, normalize: m.normalize };
}

/** Every supported format with its product name and body schema, keyed like NORMALIZERS. */
export const VENDOR_FORMATS: Readonly<Record<string, VendorFormat>> = Object.freeze({
  splunk: format(splunk),
  elastic: format(elastic),
  sentinel: format(sentinel),
  wazuh: format(wazuh),
  qradar: format(qradar),
  'defender-iot': format(defenderIot),
  nozomi: format(nozomi),
  generic: format(generic),
});

export const NORMALIZERS: Readonly<Record<string, Normalizer>> = Object.freeze(
  Object.fromEntries(Object.entries(VENDOR_FORMATS).map(([name, f]) => [name, f.normalize])),
);

/**
 * The normalizer for a configured source name: an exact registry key ("splunk"), or a
 * registry key followed by "-" and a suffix, so several instances of one product can have
 * their own secrets ("splunk-plant-a", "defender-iot-site2"). The longest matching key wins.
 * Undefined when no normalizer fits.
 */
export function getNormalizer(sourceName: string): Normalizer | undefined {
  if (Object.hasOwn(NORMALIZERS, sourceName)) return NORMALIZERS[sourceName];
  // Longest key first so a hypothetical "defender-iot" is not shadowed by a "defender".
  const match = Object.keys(NORMALIZERS)
    .filter((name) => sourceName.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return match === undefined ? undefined : NORMALIZERS[match];
}
