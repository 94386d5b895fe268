/**
 * Vendor-documented variants beyond the shared fixtures (issue 4): at least three per source,
 * each in test/intake/fixtures/variants/<source>/<name>.json as
 *   { about: what the variant is and why it differs, body: the vendor's body, expected: [alert…] }
 * Every normalized alert's identity, severity, rule, entities and time must equal `expected`
 * exactly (src/dst absent when not listed). `uidPattern` replaces `uid` where the vendor sends no
 * ID and the uid is a hash; "RECEIVED_AT" stands for the time of receipt.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../../src/alerts/alert';
import { NORMALIZERS } from '../../../src/intake/normalizers';
import { RECEIVED_AT, run } from './support';

interface ExpectedAlert {
  uid?: string;
  uidPattern?: string;
  time: string;
  title: string;
  severity: string;
  severityId: number;
  vendorSeverity?: string;
  rule: { uid?: string; name?: string };
  hosts: Alert['hosts'];
  ips: string[];
  users: string[];
  src?: Alert['src'];
  dst?: Alert['dst'];
}

interface Variant {
  about: string;
  body: unknown;
  expected: ExpectedAlert[];
}

const ROOT = join(__dirname, '..', 'fixtures', 'variants');
const SOURCES = Object.keys(NORMALIZERS);

function variantsOf(source: string): Array<[string, Variant]> {
  return readdirSync(join(ROOT, source))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(ROOT, source, f), 'utf8')) as Variant]);
}

/** The fields a variant pins down, in the alert's own shape. */
function fieldsOf(alert: Alert) {
  return {
    time: alert.time,
    title: alert.title,
    severity: alert.severity,
    severityId: alert.severityId,
    vendorSeverity: alert.vendorSeverity,
    rule: alert.rule,
    hosts: alert.hosts,
    ips: alert.ips,
    users: alert.users,
    src: alert.src,
    dst: alert.dst,
  };
}

function expectedFields({ uid: _uid, uidPattern: _pattern, ...expected }: ExpectedAlert) {
  return {
    ...expected,
    time: expected.time === 'RECEIVED_AT' ? RECEIVED_AT : expected.time,
    vendorSeverity: expected.vendorSeverity,
    src: expected.src,
    dst: expected.dst,
  };
}

describe.each(SOURCES)('%s variants', (source) => {
  const variants = variantsOf(source);

  it('has at least three documented variants', () => {
    expect(variants.length).toBeGreaterThanOrEqual(3);
    for (const [, v] of variants) expect(v.about.length).toBeGreaterThan(20);
  });

  it.each(variants)('%s normalizes to the expected alert(s)', (_name, variant) => {
    const normalize = NORMALIZERS[source];
    if (normalize === undefined) throw new Error(`no normalizer for ${source}`);
    const alerts = run(normalize, source, variant.body);
    expect(alerts).toHaveLength(variant.expected.length);
    alerts.forEach((alert, i) => {
      const expected = variant.expected[i] as ExpectedAlert;
      if (expected.uidPattern !== undefined) expect(alert.uid).toMatch(new RegExp(expected.uidPattern));
      else expect(alert.uid).toBe(expected.uid);
      expect(fieldsOf(alert)).toEqual(expectedFields(expected));
      expect(alert.source.name).toBe(source);
      expect(alert.classUid).toBe(2004);
    });
  });
});
