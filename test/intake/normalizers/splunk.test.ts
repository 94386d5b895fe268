import { normalize, splunkSeverity } from '../../../src/intake/normalizers/splunk';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, RECEIVED_AT, rejectedPaths, run } from './support';

const fixture = loadFixture('splunk');
const base = fixture.body as { result: Record<string, unknown>; sid: string; search_name: string | null };
const SID = 'scheduler__admin__search__RMD5a1f3_at_1763712000_4411';

function withResult(result: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return { ...clone(base), result, ...extra };
}

describe('splunk normalizer', () => {
  it('normalizes the fixture', () => {
    const alert = only(normalize(fixture.body, contextFor('splunk', fixture.raw)));
    expect(alert.uid).toMatch(new RegExp(`^${SID}/[0-9a-f]{16}$`));
    expect(alert).toEqual({
      classUid: 2004,
      uid: alert.uid,
      time: RECEIVED_AT,
      title: 'EDR - Ransomware Behaviour',
      severity: 'high',
      severityId: 4,
      vendorSeverity: 'high',
      rule: { name: 'EDR - Ransomware Behaviour' },
      hosts: [{ hostname: 'fin-lt-042' }, { ip: '198.51.100.23' }],
      ips: ['198.51.100.23'],
      users: ['jdoe'],
      src: { ip: '198.51.100.23' },
      dst: { hostname: 'fin-lt-042' },
      observables: [
        { type: 'hostname', value: 'fin-lt-042' },
        { type: 'ip', value: '198.51.100.23' },
        { type: 'user', value: 'jdoe' },
      ],
      network: { protocol: 'unknown', industrial: false, safety: false },
      ot: { operation: 'unknown' },
      attacks: [],
      // "Ransomware" in the search name: the row carries no CIM category or ATT&CK annotation.
      category: 'ransomware',
      provenance: { category: 'text' },
      source: { name: 'splunk', product: 'Splunk' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('gives a re-delivery the same uid, whatever the key order, and a different row a different uid', () => {
    const first = only(run(normalize, 'splunk', fixture.body));
    const reordered = Object.fromEntries(Object.entries(base.result).reverse());
    const again = only(run(normalize, 'splunk', withResult(reordered)));
    const other = only(run(normalize, 'splunk', withResult({ ...base.result, dest_host: 'fin-lt-043' })));
    expect(again.uid).toBe(first.uid);
    expect(other.uid).not.toBe(first.uid);
    expect(other.uid.startsWith(`${SID}/`)).toBe(true);
  });

  it('prefers a Splunk ES event_id as uid', () => {
    const alert = only(run(normalize, 'splunk', withResult({ ...base.result, event_id: 'ES-0001@@notable@@abc' })));
    expect(alert.uid).toBe('ES-0001@@notable@@abc');
  });

  it('falls back to signature for title and rule when search_name is null', () => {
    const alert = only(run(normalize, 'splunk', withResult(base.result, { search_name: null })));
    expect(alert.title).toBe('Ransomware file rename burst');
    expect(alert.rule).toEqual({ name: 'Ransomware file rename burst' });
  });

  it('titles "Splunk alert" when there is neither search_name nor signature', () => {
    const { signature: _s, ...result } = base.result;
    const alert = only(run(normalize, 'splunk', withResult(result, { search_name: null })));
    expect(alert.title).toBe('Splunk alert');
    expect(alert.rule).toEqual({});
  });

  it('reports unknown severity, with no vendorSeverity, when the search outputs none', () => {
    const { severity: _s, ...result } = base.result;
    const alert = only(run(normalize, 'splunk', withResult(result)));
    expect([alert.severity, alert.severityId, alert.vendorSeverity]).toEqual(['unknown', 0, undefined]);
  });

  it('maps numeric and ES urgency severities', () => {
    const cases: Array<[Record<string, string>, string, number, string]> = [
      [{ severity: '1' }, 'informational', 1, '1'],
      [{ severity: '3' }, 'medium', 3, '3'],
      [{ severity: '5' }, 'critical', 5, '5'],
      [{ urgency: 'informational' }, 'informational', 1, 'informational'],
      [{ urgency: 'Critical' }, 'critical', 5, 'Critical'],
      [{ severity: 'bogus' }, 'unknown', 0, 'bogus'],
    ];
    const { severity: _s, ...rest } = base.result;
    for (const [sev, severity, id, vendor] of cases) {
      const alert = only(run(normalize, 'splunk', withResult({ ...rest, ...sev })));
      expect([alert.severity, alert.severityId, alert.vendorSeverity]).toEqual([severity, id, vendor]);
    }
    expect(splunkSeverity(' 4 ')).toBe('high');
  });

  it('uses _time (epoch seconds) as the alert time', () => {
    const alert = only(run(normalize, 'splunk', withResult({ ...base.result, _time: '1763712000.250' })));
    expect(alert.time).toBe('2025-11-21T08:00:00.250Z');
  });

  it('reads IP-valued dest, dest_ip, multivalue users, src_host and ignores extra fields', () => {
    const alert = only(
      run(normalize, 'splunk', {
        result: {
          dest: '10.20.1.7',
          src_host: 'eng-ws-03',
          src_ip: '10.10.4.17',
          user: ['alice', 'bob'],
          src_user: 'alice',
          signature: 'Modbus write',
          junk: '',
          none: null,
        },
        sid: 'rt_1',
        search_name: 'OT - Modbus write',
        extra_top_level: 'ignored',
      }),
    );
    expect(alert.dst).toEqual({ ip: '10.20.1.7' });
    expect(alert.src).toEqual({ hostname: 'eng-ws-03', ip: '10.10.4.17' });
    expect(alert.hosts).toEqual([{ ip: '10.20.1.7' }, { hostname: 'eng-ws-03', ip: '10.10.4.17' }]);
    expect(alert.ips).toEqual(['10.10.4.17', '10.20.1.7']);
    expect(alert.users).toEqual(['alice', 'bob']);
  });

  it('uses host as the subject only when no destination is named', () => {
    const alert = only(
      run(normalize, 'splunk', { result: { host: 'dc-01', user: 'x' }, sid: 's1', search_name: 'AD' }),
    );
    expect(alert.hosts).toEqual([{ hostname: 'dc-01' }]);
    expect(alert.dst).toBeUndefined();
    const withDest = only(
      run(normalize, 'splunk', { result: { host: 'syslog-01', dest: 'dc-01' }, sid: 's1', search_name: 'AD' }),
    );
    expect(withDest.hosts).toEqual([{ hostname: 'dc-01' }]);
  });

  it('falls back to <source>:<sha256> when there is no sid', () => {
    const body = { result: { signature: 'x' }, search_name: 'y' };
    const ctx = contextFor('splunk-plant-a', JSON.stringify(body));
    const alert = only(normalize(body, ctx));
    expect(alert.uid).toBe(`splunk-plant-a:${ctx.rawSha256}`);
    expect(alert.source.name).toBe('splunk-plant-a');
  });

  describe('rejects invalid bodies with field paths', () => {
    it('missing result', () => {
      expect(rejectedPaths(normalize, 'splunk', { sid: 'x', search_name: 'y' })).toEqual(['result']);
    });
    it('non-string result values', () => {
      const paths = rejectedPaths(normalize, 'splunk', withResult({ count: 214, dest: { name: 'x' } }));
      expect(paths.sort()).toEqual(['result.count', 'result.dest']);
    });
    it('non-string search_name', () => {
      expect(rejectedPaths(normalize, 'splunk', withResult(base.result, { search_name: 5 }))).toEqual(['search_name']);
    });
  });
});
