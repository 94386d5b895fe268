import { expandDottedKeys, normalize } from '../../../src/intake/normalizers/elastic';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, RECEIVED_AT, rejectedPaths, run } from './support';

const fixture = loadFixture('elastic');
type Doc = Record<string, unknown> & { kibana: { alert: Record<string, unknown> } };
const base = fixture.body as { rule: string; alerts: Doc[] };
const doc = () => clone(base.alerts[0] as Doc);

describe('elastic normalizer', () => {
  it('normalizes the fixture', () => {
    const alert = only(normalize(fixture.body, contextFor('elastic', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: '6a0f3c1e-96b1-4c7d-8a55-3f0d1c2b9e71',
      time: '2026-11-20T08:13:58.000Z',
      title: 'Modbus write from corporate network',
      severity: 'critical',
      severityId: 5,
      vendorSeverity: 'critical',
      rule: { uid: 'e8c1b7d2-0001-4c55-9f00-6b1e2a7d4c10', name: 'Modbus write from corporate network' },
      hosts: [{ hostname: 'eng-ws-03', ip: '10.10.4.17' }, { ip: '10.20.1.7' }],
      ips: ['10.10.4.17', '10.20.1.7'],
      users: ['contractor1'],
      src: { ip: '10.10.4.17' },
      dst: { ip: '10.20.1.7' },
      observables: [
        { type: 'hostname', value: 'eng-ws-03' },
        { type: 'ip', value: '10.10.4.17' },
        { type: 'ip', value: '10.20.1.7' },
        { type: 'user', value: 'contractor1' },
      ],
      network: { protocol: 'modbus', protocolName: 'modbus', industrial: true, safety: false, dstPort: 502 },
      ot: { operation: 'write' },
      attacks: [],
      category: 'unknown',
      provenance: { 'network.protocol': 'vendor', 'network.dstPort': 'vendor', 'ot.operation': 'text' },
      source: { name: 'elastic', product: 'Elastic Security' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('fans out one alert per document, each with its own uid and host', () => {
    const second = doc();
    second.kibana.alert.uuid = 'b-2';
    second.kibana.alert.severity = 'low';
    second.host = { name: 'eng-ws-04', ip: '10.10.4.18' };
    const alerts = run(normalize, 'elastic', { ...base, alerts: [doc(), second] });
    expect(alerts.map((a) => [a.uid, a.severity, a.hosts[0]?.hostname])).toEqual([
      ['6a0f3c1e-96b1-4c7d-8a55-3f0d1c2b9e71', 'critical', 'eng-ws-03'],
      ['b-2', 'low', 'eng-ws-04'],
    ]);
  });

  it('gives uuid-less documents distinct stable uids and falls back to @timestamp, then receipt time', () => {
    const a = doc();
    delete a.kibana.alert.uuid;
    delete a.kibana.alert.original_time;
    const b = clone(a);
    delete b['@timestamp'];
    const body = { ...base, alerts: [a, b] };
    const ctx = contextFor('elastic', JSON.stringify(body));
    const alerts = normalize(body, ctx);
    expect(alerts.map((x) => x.uid)).toEqual([`elastic:${ctx.rawSha256}:0`, `elastic:${ctx.rawSha256}:1`]);
    expect(alerts.map((x) => x.time)).toEqual(['2026-11-20T08:14:03.551Z', RECEIVED_AT]);
  });

  it('reads flattened dotted keys as Kibana may render them', () => {
    const flat = {
      alerts: [
        {
          '@timestamp': '2026-11-20T08:14:03.551Z',
          'kibana.alert.uuid': 'flat-1',
          'kibana.alert.severity': 'medium',
          'kibana.alert.rule.name': 'Flat rule',
          'kibana.alert.rule.uuid': 'r-flat',
          'host.name': 'hmi-02',
          'user.name': ['op1', 'op2'],
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', flat));
    expect([alert.uid, alert.severity, alert.title, alert.rule.uid]).toEqual([
      'flat-1',
      'medium',
      'Flat rule',
      'r-flat',
    ]);
    expect(alert.hosts).toEqual([{ hostname: 'hmi-02' }]);
    expect(alert.users).toEqual(['op1', 'op2']);
  });

  it('uses the body-level rule name when documents lack one, and unknown severity when absent', () => {
    const d = doc();
    d.kibana.alert = { uuid: 'x' };
    const alert = only(run(normalize, 'elastic', { rule: 'Body rule', alerts: [d] }));
    expect([alert.title, alert.rule.name, alert.severity, alert.vendorSeverity]).toEqual([
      'Body rule',
      'Body rule',
      'unknown',
      undefined,
    ]);
  });

  it('expandDottedKeys deep-merges and drops prototype keys', () => {
    const input: unknown = JSON.parse('{"a.b.c":1,"a":{"b":{"d":2}},"__proto__":{"x":1},"a.__proto__.y":3}');
    expect(expandDottedKeys(input)).toEqual({ a: { b: { c: 1, d: 2 } } });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  describe('rejects invalid bodies with field paths', () => {
    it('no alerts', () => {
      expect(rejectedPaths(normalize, 'elastic', { rule: 'x' })).toEqual(['alerts']);
      expect(rejectedPaths(normalize, 'elastic', { alerts: [] })).toEqual(['alerts']);
    });
    it('a document without kibana.alert, bad types and bad time', () => {
      const d = doc();
      d.kibana.alert.severity = 3;
      d['@timestamp'] = 'yesterday';
      const paths = rejectedPaths(normalize, 'elastic', { alerts: [d, { host: { name: 'x' } }] });
      expect(paths.sort()).toEqual(['alerts.0.@timestamp', 'alerts.0.kibana.alert.severity', 'alerts.1.kibana']);
    });
  });
});
