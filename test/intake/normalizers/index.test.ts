import { alertSchema } from '../../../src/alerts/alert';
import { getNormalizer, NORMALIZERS, NormalizationError, VENDOR_FORMATS } from '../../../src/intake/normalizers';
import { contextFor, loadFixture } from './support';

const SOURCES = ['splunk', 'elastic', 'sentinel', 'wazuh', 'qradar', 'defender-iot', 'nozomi', 'generic'];

describe('normalizer registry', () => {
  it('has exactly the eight supported formats', () => {
    expect(Object.keys(NORMALIZERS).sort()).toEqual([...SOURCES].sort());
    expect(Object.keys(VENDOR_FORMATS).sort()).toEqual([...SOURCES].sort());
  });

  it.each(SOURCES)('%s: normalizes its own fixture to valid alerts and its body schema accepts it', (source) => {
    const { raw, body } = loadFixture(source);
    const normalize = getNormalizer(source);
    expect(normalize).toBe(NORMALIZERS[source]);
    const alerts = normalize?.(body, contextFor(source, raw)) ?? [];
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(alertSchema.safeParse(alert).success).toBe(true);
      expect(alert.source).toEqual({ name: source, product: VENDOR_FORMATS[source]?.product });
    }
    expect(VENDOR_FORMATS[source]?.bodySchema.safeParse(body).success).toBe(true);
  });

  it.each(SOURCES)('%s: rejects a non-object body with a NormalizationError', (source) => {
    expect(() => getNormalizer(source)?.(123, contextFor(source, '123'))).toThrow(NormalizationError);
  });

  it('finds a normalizer for "<format>-<suffix>" source names, longest key first', () => {
    expect(getNormalizer('splunk-plant-a')).toBe(NORMALIZERS.splunk);
    expect(getNormalizer('defender-iot-site2')).toBe(NORMALIZERS['defender-iot']);
    expect(getNormalizer('splunkish')).toBeUndefined();
    expect(getNormalizer('unknown')).toBeUndefined();
    expect(getNormalizer('toString')).toBeUndefined();
    expect(getNormalizer('__proto__')).toBeUndefined();
  });
});
