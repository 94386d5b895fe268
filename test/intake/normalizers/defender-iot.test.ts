import {
  DEFENDER_IOT_TITLE_NAMES,
  DEFENDER_IOT_TITLE_TABLE,
  DEFENDER_IOT_TITLES_VERSION,
} from '../../../src/intake/mappings/defender-iot-titles';
import { lookup } from '../../../src/intake/mappings/meaning-table';
import { normalize } from '../../../src/intake/normalizers/defender-iot';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, rejectedPaths, run } from './support';

const fixture = loadFixture('defender-iot');
const body = () => clone(fixture.body as Record<string, unknown>);
const MAPPING = `mapping:defender-iot-titles@${DEFENDER_IOT_TITLES_VERSION}`;

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
      // "Protocol: S7" / "Function: program download" information lines; the title's meaning
      // and techniques from Microsoft's alert reference.
      network: { protocol: 's7comm', protocolName: 'S7', industrial: true, safety: false },
      ot: { operation: 'program_download', functionCode: 'program download' },
      attacks: [
        { technique: { uid: 'T0839', name: 'Module Firmware' }, matrix: 'ics' },
        { technique: { uid: 'T0889', name: 'Modify Program' }, matrix: 'ics' },
        { technique: { uid: 'T0843', name: 'Program Download' }, matrix: 'ics' },
      ],
      category: 'unauthorized_change',
      provenance: {
        'network.protocol': 'vendor',
        'ot.operation': MAPPING,
        'ot.functionCode': 'vendor',
        attacks: MAPPING,
        category: MAPPING,
      },
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

  describe('meaning', () => {
    /** Identity and devices only, so nothing but the title (and engine) can give meaning. */
    const bare = (title: string, engine?: string) => ({
      id: 9001,
      time: 1763631000000,
      title,
      severity: 'Major',
      ...(engine === undefined ? {} : { engine }),
      sourceDeviceAddress: '10.20.2.5',
      destinationDeviceAddress: '10.20.1.7',
    });

    it.each(DEFENDER_IOT_TITLE_NAMES.map((t) => [t]))('maps the title "%s" through the versioned table', (title) => {
      const entry = lookup(DEFENDER_IOT_TITLE_TABLE, title);
      expect(entry).toBeDefined();
      const alert = only(run(normalize, 'defender-iot', bare(title)));
      if (entry?.operation !== undefined) {
        expect([alert.ot?.operation, alert.provenance?.['ot.operation']]).toEqual([entry.operation, MAPPING]);
      }
      if (entry?.mode !== undefined)
        expect([alert.ot?.mode, alert.provenance?.['ot.mode']]).toEqual([entry.mode, MAPPING]);
      if (entry?.category !== undefined) {
        expect([alert.category, alert.provenance?.['category']]).toEqual([entry.category, MAPPING]);
      }
      expect(alert.attacks?.map((a) => a.technique.uid)).toEqual(entry?.attacks ?? []);
      if (entry?.attacks !== undefined) expect(alert.provenance?.['attacks']).toBe(MAPPING);
    });

    it('matches titles case-insensitively and without the reference\'s "[*]" marker', () => {
      expect(only(run(normalize, 'defender-iot', bare('  controller STOP [*] '))).ot).toEqual({
        operation: 'mode_change',
        mode: 'stop',
      });
    });

    it('reads a PLC stop command', () => {
      const alert = only(
        run(normalize, 'defender-iot', {
          id: 7790,
          time: 1763631300000,
          title: 'An S7 Stop PLC Command was Sent',
          message:
            'The source device 10.20.2.5 sent a stop command to a destination controller 10.20.1.7. The controller will stop operating until a start command is sent.',
          severity: 'Warning',
          engine: 'Operational',
          sourceDevice: 112,
          destinationDevice: 37,
          sourceDeviceAddress: '10.20.2.5',
          destinationDeviceAddress: '10.20.1.7',
          additionalInformation: { description: 'Stop PLC', information: ['Protocol: S7'] },
        }),
      );
      expect(alert.network).toEqual({ protocol: 's7comm', protocolName: 'S7', industrial: true, safety: false });
      expect(alert.ot).toEqual({ operation: 'mode_change', mode: 'stop' });
      expect(alert.category).toBe('impact');
      expect(alert.attacks?.map((a) => a.technique.uid)).toEqual(['T0843', 'T0858', 'T0814']);
      expect(alert.provenance).toMatchObject({ 'ot.operation': MAPPING, 'ot.mode': MAPPING, category: MAPPING });
    });

    it('reads a new asset, which has no destination', () => {
      const alert = only(
        run(normalize, 'defender-iot', {
          id: 7791,
          time: 1763631400000,
          title: 'New Asset Detected',
          message: "A new source device was detected on the network but hasn't been authorized.",
          severity: 'Major',
          engine: 'Policy Violation',
          sourceDevice: 140,
          destinationDevice: null,
          sourceDeviceAddress: '10.20.1.99',
          destinationDeviceAddress: null,
          additionalInformation: { description: 'New asset', information: ['MAC: 00:1d:9c:12:34:56'] },
        }),
      );
      expect(alert.hosts).toEqual([{ ip: '10.20.1.99' }]);
      expect(alert.ot).toEqual({ operation: 'new_device' });
      expect([alert.category, alert.provenance?.['category']]).toEqual(['policy_violation', MAPPING]);
    });

    it('reads safety-system traffic from the information lines', () => {
      // A title the table does not list: the engine gives the category, the protocol line the rest.
      const alert = only(
        run(normalize, 'defender-iot', {
          ID: 7792,
          Time: 1763631500000,
          Title: 'Unauthorized Operation was detected by a User Defined Rule',
          Message:
            'Traffic was detected between two devices. This activity is unauthorized, based on a Custom Alert Rule defined by a user.',
          Severity: 'Critical',
          Engine: 'Policy Violation',
          SourceDeviceAddress: '10.30.0.12',
          DestinationDeviceAddress: '10.30.0.40',
          AdditionalInformation: {
            Description: 'Custom alert rule',
            Information: ['Protocol: TriStation', 'Destination Port: 1502', 'Source Port: 49201'],
          },
        }),
      );
      expect(alert.network).toEqual({
        protocol: 'tristation',
        protocolName: 'TriStation',
        industrial: true,
        safety: true,
        srcPort: 49201,
        dstPort: 1502,
      });
      expect(alert.ot).toEqual({ operation: 'safety_access' });
      expect(alert.category).toBe('policy_violation');
      expect(alert.provenance).toMatchObject({
        'ot.operation': 'text',
        category: 'vendor',
        'network.dstPort': 'vendor',
      });
    });

    it('reads ransomware from the table and other malware from the engine', () => {
      const wannacry = only(
        run(normalize, 'defender-iot', {
          ...bare('Suspicion of Malicious Activity (WannaCry)', 'Malware'),
          message:
            'Suspicious network activity was detected. This activity may be associated with an attack exploiting a method used by known malware.',
          severity: 'Critical',
        }),
      );
      expect([wannacry.category, wannacry.provenance?.['category']]).toEqual(['ransomware', MAPPING]);
      expect(wannacry.attacks?.map((a) => a.technique.uid)).toEqual(['T0866', 'T0867']);
      const unlisted = only(
        run(normalize, 'defender-iot', bare('Suspicious Executable File Detected on Endpoint', 'Malware')),
      );
      expect([unlisted.category, unlisted.provenance?.['category']]).toEqual(['malware', 'vendor']);
    });

    it('takes the engine as category only when the title is not listed', () => {
      expect(only(run(normalize, 'defender-iot', bare('Modbus Exception', 'Protocol Violation'))).category).toBe(
        'anomaly',
      );
      expect(only(run(normalize, 'defender-iot', bare('Bad MMS Device State', 'Operational'))).category).toBe(
        'operational',
      );
      const none = only(run(normalize, 'defender-iot', bare('Bad MMS Device State')));
      expect(none.provenance?.['category']).toBeUndefined();
    });

    it('reads a numeric function code and ports from information lines', () => {
      const alert = only(
        run(normalize, 'defender-iot', {
          ...bare('Unpermitted Usage of Modbus Function Code', 'Policy Violation'),
          additionalinformation: {
            information: ['protocol: Modbus', 'FUNCTION CODE: 6', 'destination port: 502', 'not a key value line'],
          },
        }),
      );
      expect(alert.network).toMatchObject({ protocol: 'modbus', dstPort: 502 });
      expect(alert.ot).toEqual({ operation: 'write', functionCode: '6' });
      expect(alert.provenance?.['ot.operation']).toBe('function-code');
    });

    it('ignores a malformed additionalInformation block', () => {
      const alert = only(run(normalize, 'defender-iot', { ...body(), additionalInformation: 'free text' }));
      expect(alert.network?.protocol).toBe('unknown');
      expect(alert.ot?.operation).toBe('program_download');
    });
  });
});
