import { normalize } from '../../../src/intake/normalizers/wazuh';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, RECEIVED_AT, rejectedPaths, run } from './support';

const fixture = loadFixture('wazuh');
type Body = { rule: Record<string, unknown>; data?: Record<string, unknown> } & Record<string, unknown>;
const body = () => clone(fixture.body as Body);

describe('wazuh normalizer', () => {
  it('normalizes the fixture', () => {
    const alert = only(normalize(fixture.body, contextFor('wazuh', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: '1763629331.552301',
      time: '2026-11-20T09:02:11.480Z',
      title: 'Multiple Windows logon failures followed by success',
      severity: 'high',
      severityId: 4,
      vendorSeverity: '12',
      rule: { uid: '60204', name: 'Multiple Windows logon failures followed by success' },
      hosts: [{ hostname: 'hr-srv-02', ip: '10.30.2.44' }, { ip: '203.0.113.88' }],
      ips: ['203.0.113.88', '10.30.2.44'],
      users: ['svc_backup'],
      src: { ip: '203.0.113.88' },
      observables: [
        { type: 'hostname', value: 'hr-srv-02' },
        { type: 'ip', value: '203.0.113.88' },
        { type: 'ip', value: '10.30.2.44' },
        { type: 'user', value: 'svc_backup' },
      ],
      network: { protocol: 'unknown', industrial: false, safety: false },
      ot: { operation: 'unknown' },
      attacks: [
        {
          technique: { uid: 'T1110', name: 'Brute Force' },
          tactics: [{ name: 'Credential Access' }],
          matrix: 'enterprise',
        },
      ],
      category: 'credential_access',
      provenance: { attacks: 'vendor', category: 'attacks' },
      source: { name: 'wazuh', product: 'Wazuh' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('maps rule levels onto the OCSF scale', () => {
    const cases: Array<[number, string]> = [
      [0, 'informational'],
      [3, 'low'],
      [7, 'medium'],
      [11, 'medium'],
      [14, 'high'],
      [15, 'critical'],
      [16, 'critical'],
    ];
    for (const [level, severity] of cases) {
      const b = body();
      b.rule.level = level;
      const alert = only(run(normalize, 'wazuh', b));
      expect([alert.severity, alert.vendorSeverity]).toEqual([severity, String(level)]);
    }
  });

  it('handles an agent-only alert without data, id or timestamp', () => {
    const b = body();
    delete b.data;
    delete b.id;
    delete b.timestamp;
    b.agent = { id: '000', name: 'wazuh-manager' };
    const ctx = contextFor('wazuh', JSON.stringify(b));
    const alert = only(normalize(b, ctx));
    expect(alert.hosts).toEqual([{ hostname: 'wazuh-manager' }]);
    expect([alert.ips, alert.users, alert.src, alert.time, alert.uid]).toEqual([
      [],
      [],
      undefined,
      RECEIVED_AT,
      `wazuh:${ctx.rawSha256}`,
    ]);
  });

  it('reads dstip as the target and ignores non-IP agent addresses ("any")', () => {
    const b = body();
    b.agent = { id: '017', name: 'fw-01', ip: 'any' };
    b.data = { srcip: '10.10.4.17', dstip: '10.20.1.7', srcuser: 'bob' };
    const alert = only(run(normalize, 'wazuh', b));
    expect(alert.hosts).toEqual([{ hostname: 'fw-01' }, { ip: '10.20.1.7' }, { ip: '10.10.4.17' }]);
    expect(alert.dst).toEqual({ ip: '10.20.1.7' });
    expect(alert.users).toEqual(['bob']);
  });

  it('rejects invalid bodies with field paths', () => {
    const b = body();
    b.rule.level = 17;
    b.timestamp = '20/11/2026';
    delete b.rule.description;
    expect(rejectedPaths(normalize, 'wazuh', b).sort()).toEqual(['rule.description', 'rule.level', 'timestamp']);
    expect(rejectedPaths(normalize, 'wazuh', { id: 'x' })).toEqual(['rule']);
  });
});
