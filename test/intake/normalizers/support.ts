import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertSchema, type Alert } from '../../../src/alerts/alert';
import { NormalizationError, type NormalizeContext, type NormalizeFn } from '../../../src/intake/normalizers/common';
import { sha256Hex } from '../../../src/intake/raw-body';

/** Copies of /work/shared/fixtures/siem, kept with the tests so CI needs nothing outside the repo. */
export function loadFixture(name: string): { raw: Buffer; body: unknown } {
  const raw = readFileSync(join(__dirname, '..', 'fixtures', `${name}.json`));
  return { raw, body: JSON.parse(raw.toString('utf8')) };
}

export const RECEIVED_AT = '2026-11-21T00:00:00.000Z';

export function contextFor(source: string, raw: Buffer | string): NormalizeContext {
  return { source, rawSha256: sha256Hex(raw), receivedAt: RECEIVED_AT };
}

/** Normalizes a body as the webhook would (hash of its JSON text) and checks the contract. */
export function run(normalize: NormalizeFn, source: string, body: unknown): Alert[] {
  const alerts = normalize(body, contextFor(source, JSON.stringify(body)));
  for (const alert of alerts) alertSchema.parse(alert);
  return alerts;
}

export function only(alerts: Alert[]): Alert {
  expect(alerts).toHaveLength(1);
  return alerts[0] as Alert;
}

/** Asserts the normalizer rejects the body and returns the field paths it named. */
export function rejectedPaths(normalize: NormalizeFn, source: string, body: unknown): string[] {
  let error: unknown;
  try {
    normalize(body, contextFor(source, JSON.stringify(body)));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(NormalizationError);
  const ne = error as NormalizationError;
  expect(ne.issues.length).toBeGreaterThan(0);
  return ne.fieldIssues.map((i) => i.path);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
