import { normalize } from '../../../src/intake/normalizers/generic';
import { MAX_ALERT_UID_BYTES, NormalizationError } from '../../../src/intake/normalizers/common';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, RECEIVED_AT, rejectedPaths, run } from './support';

const fixture = loadFixture('generic');
const base = fixture.body as Record<string, unknown>;

describe('generic normalizer', () => {
  it('normalizes the documented fixture', () => {
    const ctx = contextFor('generic', fixture.raw);
    const alert = only(normalize(fixture.body, ctx));
    expect(alert).toEqual({
      classUid: 2004,
      uid: 'gen-20261120-0001',
      time: '2026-11-20T11:00:00.000Z',
      title: 'Suspicious login from TOR exit node',
      severity: 'medium',
      severityId: 3,
      vendorSeverity: 'medium',
      rule: { uid: 'auth-tor-01', name: 'Login from TOR' },
      hosts: [{ hostname: 'vpn-gw-01', ip: '10.30.0.2' }],
      ips: ['185.220.101.4', '10.30.0.2'],
      users: ['a.novak'],
      observables: [
        { type: 'hostname', value: 'vpn-gw-01' },
        { type: 'ip', value: '185.220.101.4' },
        { type: 'ip', value: '10.30.0.2' },
        { type: 'user', value: 'a.novak' },
      ],
      // The fixture states no meaning and its words name none.
      network: { protocol: 'unknown', industrial: false, safety: false },
      ot: { operation: 'unknown' },
      attacks: [],
      category: 'unknown',
      source: { name: 'generic', product: 'generic' },
      rawSha256: sha256Hex(fixture.raw),
    });
    expect(alert.src).toBeUndefined();
    expect(alert.dst).toBeUndefined();
  });

  it('replaces an over-long vendor ID by its digest, the same for the same ID', () => {
    const id = 'x'.repeat(MAX_ALERT_UID_BYTES);
    // Counted in bytes: 300 two-byte characters are over the limit.
    const long = `${'é'.repeat(300)}-${'y'.repeat(5000)}`;
    const uidOf = (uid: string) => {
      const body = { id: uid, title: 'Long id', severity: 'low' };
      return only(normalize(body, contextFor('generic', JSON.stringify(body)))).uid;
    };
    expect(uidOf(id)).toBe(id);
    expect(uidOf(long)).toBe(`sha256:${sha256Hex(long)}`);
    expect(uidOf('é'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(uidOf(`${long}z`)).not.toBe(uidOf(long));
  });

  it('uses the minimal body: no id, no time, no arrays', () => {
    const body = { title: 'Minimal', severity: 'low' };
    const ctx = contextFor('generic', JSON.stringify(body));
    const alert = only(normalize(body, ctx));
    expect(alert.uid).toBe(`generic:${ctx.rawSha256}`);
    expect(alert.time).toBe(RECEIVED_AT);
    expect(alert.rule).toEqual({});
    expect(alert.hosts).toEqual([]);
    expect(alert.ips).toEqual([]);
    expect(alert.users).toEqual([]);
    expect(alert.observables).toEqual([]);
    expect(alert.severityId).toBe(2);
  });

  it('accepts OCSF numeric severities 0-6 and keeps the raw value', () => {
    const cases: Array<[number, string, number]> = [
      [0, 'unknown', 0],
      [1, 'informational', 1],
      [4, 'high', 4],
      [6, 'fatal', 6],
    ];
    for (const [raw, severity, id] of cases) {
      const alert = only(run(normalize, 'generic', { ...base, severity: raw }));
      expect([alert.severity, alert.severityId, alert.vendorSeverity]).toEqual([severity, id, String(raw)]);
    }
  });

  it('reads severity words case-insensitively', () => {
    const alert = only(run(normalize, 'generic', { ...base, severity: 'CRITICAL' }));
    expect([alert.severity, alert.severityId, alert.vendorSeverity]).toEqual(['critical', 5, 'CRITICAL']);
  });

  it('maps network direction: dst (target) before src in hosts, both IPs in ips', () => {
    const body = {
      title: 'Modbus write from IT network',
      severity: 'high',
      rule: { id: 42 },
      src: { host: 'eng-ws-03', ip: '10.10.4.17' },
      dst: { host: 'plc-07', ip: '10.20.1.7' },
      product: 'Acme OT IDS',
    };
    const alert = only(run(normalize, 'plant-ids', body));
    expect(alert.src).toEqual({ hostname: 'eng-ws-03', ip: '10.10.4.17' });
    expect(alert.dst).toEqual({ hostname: 'plc-07', ip: '10.20.1.7' });
    expect(alert.hosts).toEqual([
      { hostname: 'plc-07', ip: '10.20.1.7' },
      { hostname: 'eng-ws-03', ip: '10.10.4.17' },
    ]);
    expect(alert.ips).toEqual(['10.20.1.7', '10.10.4.17']);
    expect(alert.rule).toEqual({ uid: '42' });
    expect(alert.source).toEqual({ name: 'plant-ids', product: 'Acme OT IDS' });
  });

  it('merges a dst that repeats a listed host instead of duplicating it', () => {
    const alert = only(run(normalize, 'generic', { ...base, dst: { ip: '10.30.0.2' } }));
    expect(alert.hosts).toEqual([{ hostname: 'vpn-gw-01', ip: '10.30.0.2' }]);
  });

  it('ignores unknown fields', () => {
    const alert = only(run(normalize, 'generic', { ...base, extra: { nested: true }, tags: ['x'] }));
    expect(alert.uid).toBe('gen-20261120-0001');
    expect(alert).not.toHaveProperty('extra');
  });

  it('converts time offsets to UTC', () => {
    const alert = only(run(normalize, 'generic', { ...base, time: '2026-11-20T12:00:00+01:00' }));
    expect(alert.time).toBe('2026-11-20T11:00:00.000Z');
  });

  it('gives a re-delivery of the same body the same uid when no id is sent', () => {
    const { id: _id, ...body } = base;
    const a = only(run(normalize, 'generic', body));
    const b = only(run(normalize, 'generic', clone(body)));
    expect(a.uid).toBe(b.uid);
    expect(a.uid).toMatch(/^generic:[0-9a-f]{64}$/);
  });

  describe('rejects invalid bodies with field paths', () => {
    it('missing title and severity', () => {
      expect(rejectedPaths(normalize, 'generic', { id: 'x' }).sort()).toEqual(['severity', 'title']);
    });
    it('unknown severity word and out-of-range number', () => {
      expect(rejectedPaths(normalize, 'generic', { ...base, severity: 'severe' })).toEqual(['severity']);
      expect(rejectedPaths(normalize, 'generic', { ...base, severity: 7 })).toEqual(['severity']);
      expect(rejectedPaths(normalize, 'generic', { ...base, severity: 2.5 })).toEqual(['severity']);
    });
    it('invalid IP addresses, nameless hosts, empty src', () => {
      const paths = rejectedPaths(normalize, 'generic', {
        ...base,
        ips: ['185.220.101.4', 'not-an-ip'],
        hosts: [{ name: 'ok' }, {}],
        src: {},
        dst: { ip: '999.1.1.1' },
      });
      expect(paths.sort()).toEqual(['dst.ip', 'hosts.1', 'ips.1', 'src']);
    });
    it('a time without a time zone, and a non-object body', () => {
      expect(rejectedPaths(normalize, 'generic', { ...base, time: '2026-11-20 11:00' })).toEqual(['time']);
      expect(rejectedPaths(normalize, 'generic', ['not', 'an', 'object'])).toEqual(['']);
    });
    it('error message names the source and the paths', () => {
      try {
        normalize({ title: '', severity: 'low' }, contextFor('generic', '{}'));
        throw new Error('expected a NormalizationError');
      } catch (e) {
        expect(e).toBeInstanceOf(NormalizationError);
        expect((e as Error).message).toMatch(/^invalid generic alert: title: /);
      }
    });
  });

  describe('meaning', () => {
    it('takes the meaning the sender states', () => {
      const alert = only(
        run(normalize, 'generic', {
          title: 'Register write to PLC-7 outside maintenance window',
          severity: 'high',
          src: { host: 'eng-ws-03', ip: '10.10.4.17' },
          dst: { host: 'plc-07', ip: '10.20.1.7' },
          network: { protocol: 'Modbus/TCP', transport: 'TCP', srcPort: 50122, dstPort: 502, direction: 'lateral' },
          ot: { operation: 'write', functionCode: 16 },
          attacks: ['t0855', { id: 'T0836', name: 'Modify Parameter', tactic: ['Impair Process Control', 'TA0106'] }],
          category: 'Unauthorized_Change',
        }),
      );
      expect(alert.network).toEqual({
        protocol: 'modbus',
        protocolName: 'Modbus/TCP',
        industrial: true,
        safety: false,
        transport: 'tcp',
        srcPort: 50122,
        dstPort: 502,
        direction: 'lateral',
      });
      expect(alert.ot).toEqual({ operation: 'write', functionCode: '16' });
      expect(alert.attacks).toEqual([
        { technique: { uid: 'T0855', name: 'Unauthorized Command Message' }, matrix: 'ics' },
        {
          technique: { uid: 'T0836', name: 'Modify Parameter' },
          tactics: [{ name: 'Impair Process Control' }, { uid: 'TA0106', name: 'Impair Process Control' }],
          matrix: 'ics',
        },
      ]);
      expect(alert.category).toBe('unauthorized_change');
      expect(alert.provenance).toEqual({
        'network.protocol': 'vendor',
        'network.transport': 'vendor',
        'network.srcPort': 'vendor',
        'network.dstPort': 'vendor',
        'network.direction': 'vendor',
        attacks: 'vendor',
        'ot.operation': 'vendor',
        'ot.functionCode': 'vendor',
        category: 'vendor',
      });
    });

    it('keeps a protocol it does not know as "other" with the sender\'s word', () => {
      const alert = only(run(normalize, 'generic', { ...base, network: { protocol: 'Acme-Bus' } }));
      expect(alert.network).toEqual({ protocol: 'other', protocolName: 'Acme-Bus', industrial: false, safety: false });
    });

    it('derives the meaning from nothing but a title', () => {
      const alert = only(run(normalize, 'generic', { title: 'PLC stop command sent to 10.20.1.7', severity: 'high' }));
      expect(alert.ot).toEqual({ operation: 'mode_change', mode: 'stop' });
      expect(alert.network).toEqual({ protocol: 'unknown', industrial: false, safety: false });
      expect(alert.provenance).toEqual({ 'ot.operation': 'text', 'ot.mode': 'text' });
    });

    it('reads a mode alone as a mode change', () => {
      const alert = only(run(normalize, 'generic', { ...base, ot: { mode: 'STOP' } }));
      expect(alert.ot).toEqual({ operation: 'mode_change', mode: 'stop' });
    });

    it('refuses words outside the documented lists, naming the field', () => {
      expect(
        rejectedPaths(normalize, 'generic', {
          ...base,
          network: { transport: 'quic', srcPort: 70000, direction: 'sideways' },
          ot: { operation: 'reboot' },
          attacks: ['T0843', 'X123', { id: 'T99', name: 'n' }],
          category: 'spam',
        }).sort(),
      ).toEqual([
        'attacks.1',
        'attacks.2.id',
        'category',
        'network.direction',
        'network.srcPort',
        'network.transport',
        'ot.operation',
      ]);
      expect(rejectedPaths(normalize, 'generic', { ...base, ot: { operation: 'write', mode: 'stop' } })).toEqual([
        'ot.mode',
      ]);
      expect(rejectedPaths(normalize, 'generic', { ...base, network: { protocol: '  ' } })).toEqual([
        'network.protocol',
      ]);
    });
  });
});
