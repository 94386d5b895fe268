import { normalize } from '../../../src/intake/normalizers/nozomi';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, RECEIVED_AT, rejectedPaths, run } from './support';

const fixture = loadFixture('nozomi');
const body = () => clone(fixture.body as Record<string, unknown>);

describe('nozomi normalizer', () => {
  it('normalizes the fixture, the destination node first', () => {
    const alert = only(normalize(fixture.body, contextFor('nozomi', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: 'c2d1e8a4-9b7f-4e2a-a1d0-5f6e7d8c9b0a',
      time: '2025-11-20T09:26:40.000Z',
      title: 'New function code',
      severity: 'critical',
      severityId: 5,
      vendorSeverity: '9',
      rule: { uid: 'VI:NEW-FUNC-CODE', name: 'New function code' },
      hosts: [{ ip: '10.20.1.7' }, { ip: '10.10.4.17' }],
      ips: ['10.20.1.7', '10.10.4.17'],
      users: [],
      src: { ip: '10.10.4.17' },
      dst: { ip: '10.20.1.7' },
      observables: [
        { type: 'ip', value: '10.20.1.7' },
        { type: 'ip', value: '10.10.4.17' },
      ],
      source: { name: 'nozomi', product: 'Nozomi Networks' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('maps the 0-10 severity scale', () => {
    const cases: Array<[number, string]> = [
      [0, 'informational'],
      [3, 'low'],
      [5, 'medium'],
      [8, 'high'],
      [10, 'critical'],
    ];
    for (const [severity, expected] of cases) {
      const alert = only(run(normalize, 'nozomi', { ...body(), severity }));
      expect([alert.severity, alert.vendorSeverity]).toEqual([expected, String(severity)]);
    }
  });

  it('uses node labels as host names, and receipt time without a time', () => {
    const b: Record<string, unknown> = { ...body(), label_dst: 'PLC-Line1', label_src: 'ENG-WS-03' };
    delete b.time;
    const alert = only(run(normalize, 'nozomi', b));
    expect(alert.hosts).toEqual([
      { hostname: 'PLC-Line1', ip: '10.20.1.7' },
      { hostname: 'ENG-WS-03', ip: '10.10.4.17' },
    ]);
    expect(alert.time).toBe(RECEIVED_AT);
  });

  it('handles a node alert without a destination', () => {
    const b = body();
    delete b.ip_dst;
    const alert = only(run(normalize, 'nozomi', b));
    expect([alert.hosts, alert.dst]).toEqual([[{ ip: '10.10.4.17' }], undefined]);
  });

  it('rejects invalid bodies with field paths', () => {
    expect(rejectedPaths(normalize, 'nozomi', { ...body(), severity: '9', name: '' }).sort()).toEqual([
      'name',
      'severity',
    ]);
    expect(rejectedPaths(normalize, 'nozomi', { ...body(), id: undefined, time: -5 }).sort()).toEqual(['id', 'time']);
  });
});
