import { normalize } from '../../../src/intake/normalizers/defender-iot';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, rejectedPaths, run } from './support';

const fixture = loadFixture('defender-iot');
const body = () => clone(fixture.body as Record<string, unknown>);

describe('defender-iot normalizer', () => {
  it('normalizes the fixture, the PLC (destination) first', () => {
    const alert = only(normalize(fixture.body, contextFor('defender-iot', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: '7781',
      time: '2025-11-20T09:30:00.000Z',
      title: 'Unauthorized PLC Programming',
      severity: 'critical',
      severityId: 5,
      vendorSeverity: 'Critical',
      rule: { name: 'Policy Violation: Unauthorized PLC Programming' },
      hosts: [{ ip: '10.20.1.7' }, { ip: '10.20.2.5' }],
      ips: ['10.20.1.7', '10.20.2.5'],
      users: [],
      src: { ip: '10.20.2.5' },
      dst: { ip: '10.20.1.7' },
      observables: [
        { type: 'ip', value: '10.20.1.7' },
        { type: 'ip', value: '10.20.2.5' },
      ],
      source: { name: 'defender-iot', product: 'Microsoft Defender for IoT' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('reads keys case-insensitively', () => {
    const lower = Object.fromEntries(Object.entries(body()).map(([k, v]) => [k.toLowerCase(), v]));
    const upper = Object.fromEntries(Object.entries(body()).map(([k, v]) => [k.toUpperCase(), v]));
    const expected = only(run(normalize, 'defender-iot', body()));
    for (const variant of [lower, upper]) {
      const alert = only(run(normalize, 'defender-iot', variant));
      expect({ ...alert, rawSha256: '' }).toEqual({ ...expected, rawSha256: '' });
    }
  });

  it('maps Warning/Minor/Major and keeps the raw word', () => {
    const cases: Array<[string, string]> = [
      ['Warning', 'low'],
      ['Minor', 'medium'],
      ['major', 'high'],
      ['Severe', 'unknown'],
    ];
    for (const [severity, expected] of cases) {
      const alert = only(run(normalize, 'defender-iot', { ...body(), severity }));
      expect([alert.severity, alert.vendorSeverity]).toEqual([expected, severity]);
    }
  });

  it('uses device names when present and the title alone as rule without an engine', () => {
    const b: Record<string, unknown> = { ...body(), destinationDeviceName: 'plc-07', sourceDeviceName: 'ews-02' };
    delete b.engine;
    const alert = only(run(normalize, 'defender-iot', b));
    expect(alert.hosts).toEqual([
      { hostname: 'plc-07', ip: '10.20.1.7' },
      { hostname: 'ews-02', ip: '10.20.2.5' },
    ]);
    expect(alert.rule).toEqual({ name: 'Unauthorized PLC Programming' });
  });

  it('rejects invalid bodies with (lower-cased) field paths', () => {
    const b = body();
    delete b.title;
    delete b.time;
    expect(rejectedPaths(normalize, 'defender-iot', { ...b, Time: 'soon', severity: 3 }).sort()).toEqual([
      'severity',
      'time',
      'title',
    ]);
  });
});
