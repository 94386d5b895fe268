import { normalize } from '../../../src/intake/normalizers/qradar';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, rejectedPaths, run } from './support';

const fixture = loadFixture('qradar');
const body = () => clone(fixture.body as Record<string, unknown>);

describe('qradar normalizer', () => {
  it('normalizes the fixture', () => {
    const alert = only(normalize(fixture.body, contextFor('qradar', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: '5531',
      time: '2025-11-20T09:50:00.000Z',
      title: 'Outbound traffic to known C2 from office workstation',
      severity: 'high',
      severityId: 4,
      vendorSeverity: '8',
      rule: { uid: '100412' },
      hosts: [{ ip: '10.30.5.61' }],
      ips: ['10.30.5.61'],
      users: [],
      src: { ip: '10.30.5.61' },
      observables: [{ type: 'ip', value: '10.30.5.61' }],
      network: { protocol: 'unknown', industrial: false, safety: false },
      ot: { operation: 'unknown' },
      attacks: [],
      // "Malware Communication" is not a category QRadar documents: the words decide.
      category: 'malware',
      provenance: { category: 'text', 'src.ip': 'text' },
      source: { name: 'qradar', product: 'IBM QRadar' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('reads the offense source by offense type: destination IP, username, hostname', () => {
    const dstIp = only(run(normalize, 'qradar', { ...body(), offense_type: 1, offense_source: '10.20.1.7' }));
    expect([dstIp.hosts, dstIp.dst, dstIp.src]).toEqual([[{ ip: '10.20.1.7' }], { ip: '10.20.1.7' }, undefined]);
    const user = only(run(normalize, 'qradar', { ...body(), offense_type: 3, offense_source: 'svc_sql' }));
    expect([user.hosts, user.users]).toEqual([[], ['svc_sql']]);
    const host = only(run(normalize, 'qradar', { ...body(), offense_type: 7, offense_source: 'hist-01' }));
    expect(host.hosts).toEqual([{ hostname: 'hist-01' }]);
    const eventName = only(run(normalize, 'qradar', { ...body(), offense_type: 2, offense_source: 'Brute force' }));
    expect(eventName.hosts).toEqual([]);
  });

  it('maps the 0-10 severity scale', () => {
    const cases: Array<[number, string]> = [
      [0, 'informational'],
      [2, 'low'],
      [5, 'medium'],
      [8, 'high'],
      [9, 'critical'],
      [10, 'critical'],
    ];
    for (const [severity, expected] of cases) {
      expect(only(run(normalize, 'qradar', { ...body(), severity })).severity).toBe(expected);
    }
  });

  it('rejects invalid bodies with field paths', () => {
    expect(rejectedPaths(normalize, 'qradar', { ...body(), id: '5531', severity: 11 }).sort()).toEqual([
      'id',
      'severity',
    ]);
    expect(rejectedPaths(normalize, 'qradar', { ...body(), description: ' \n' })).toEqual(['description']);
  });
});
