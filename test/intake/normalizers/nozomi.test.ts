import { NOZOMI_TYPE_IDS, NOZOMI_TYPE_IDS_VERSION } from '../../../src/intake/mappings/nozomi-type-ids';
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
      // "New function code 16 (write multiple registers)": the Modbus function code says write.
      network: {
        protocol: 'modbus',
        protocolName: 'modbus',
        industrial: true,
        safety: false,
        srcPort: 50122,
        dstPort: 502,
      },
      ot: { operation: 'write', functionCode: '16' },
      attacks: [],
      category: 'anomaly',
      provenance: {
        'network.protocol': 'vendor',
        'network.srcPort': 'vendor',
        'network.dstPort': 'vendor',
        'ot.operation': 'function-code',
        'ot.functionCode': 'vendor',
        category: `mapping:nozomi-type-ids@${NOZOMI_TYPE_IDS_VERSION}`,
      },
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

  describe('meaning', () => {
    const MAPPING = `mapping:nozomi-type-ids@${NOZOMI_TYPE_IDS_VERSION}`;

    /** A record with only identity fields, so nothing but the type ID can give meaning. */
    const bare = (typeId: string) => ({
      id: 'b7e0f3c2-0000-4000-8000-000000000001',
      type_id: typeId,
      name: 'Alert',
      severity: 5,
      ip_src: '10.10.4.17',
      ip_dst: '10.20.1.7',
      time: 1763630800000,
    });

    it.each(Object.entries(NOZOMI_TYPE_IDS))('maps type ID %s through the versioned table', (typeId, entry) => {
      const alert = only(run(normalize, 'nozomi', bare(typeId)));
      if (entry.operation !== undefined) {
        expect(alert.ot?.operation).toBe(entry.operation);
        expect(alert.provenance?.['ot.operation']).toBe(MAPPING);
      }
      if (entry.mode !== undefined) {
        expect(alert.ot?.mode).toBe(entry.mode);
        expect(alert.provenance?.['ot.mode']).toBe(MAPPING);
      }
      if (entry.category !== undefined) {
        expect(alert.category).toBe(entry.category);
        expect(alert.provenance?.['category']).toBe(MAPPING);
      }
      expect(alert.attacks?.map((a) => a.subTechnique?.uid ?? a.technique.uid)).toEqual(entry.attacks ?? []);
      if (entry.attacks !== undefined) expect(alert.provenance?.['attacks']).toBe(MAPPING);
    });

    it('matches type IDs whatever their case; an unknown one maps nothing', () => {
      expect(only(run(normalize, 'nozomi', bare(' sign:program:change '))).ot?.operation).toBe('program_download');
      const unknown = only(run(normalize, 'nozomi', bare('SIGN:SOMETHING-NEW')));
      expect([unknown.ot?.operation, unknown.category, unknown.provenance]).toEqual(['unknown', 'unknown', undefined]);
    });

    it('reads a program change as Vantage exports it (EtherNet/IP online edit)', () => {
      // Shaped like the alert in elastic/integrations packages/nozomi_networks (N2OS 25.0).
      const alert = only(
        run(normalize, 'nozomi', {
          id: '6dbf93f8-d8da-4ae3-bf1a-e91a82fc3041',
          type_id: 'SIGN:PROGRAM:CHANGE',
          type_name: 'Program change',
          name: 'Program change',
          description:
            'Online edits have been made on the PLC with IP 10.20.1.7. The following steps were executed:\n' +
            '[1]- Downloaded project [ C:\\PROJECTS\\LINE1\\line1.ACD ] to [ \\AB_ETHIP-1\\10.20.1.7\\C1_1756 ]\n' +
            '[2]- Changed Controller [ C1_1756 ] to Run Mode\n',
          severity: 10,
          risk: 6,
          ip_src: '10.10.4.17',
          ip_dst: '10.20.1.7',
          mac_src: '00:0c:29:01:98:be',
          mac_dst: 'f4:54:33:9f:22:3d',
          port_src: 58679,
          port_dst: 44818,
          protocol: 'ethernetip',
          transport_protocol: 'tcp',
          src_roles: 'consumer, engineering_station',
          dst_roles: 'producer',
          label_src: null,
          label_dst: null,
          properties: {
            base_risk: 6,
            raised_by: 'n2os_ids',
            mitre_attack_for_ics: {
              source: { levels: ['2'], types: ['Engineering Workstation'] },
              destination: { levels: ['2'], types: ['Field Controller/RTU/PLC/IED'] },
            },
          },
          mitre_attack_techniques: null,
          mitre_attack_tactics: null,
          trigger_type: 'stix_indicators',
          time: 1747398906110,
        }),
      );
      expect(alert.network).toEqual({
        protocol: 'enip',
        protocolName: 'ethernetip',
        industrial: true,
        safety: false,
        transport: 'tcp',
        srcPort: 58679,
        dstPort: 44818,
      });
      expect(alert.ot).toEqual({ operation: 'program_download' });
      expect(alert.category).toBe('unauthorized_change');
      expect(alert.attacks).toEqual([{ technique: { uid: 'T0889', name: 'Modify Program' }, matrix: 'ics' }]);
      expect(alert.provenance).toMatchObject({
        'network.protocol': 'vendor',
        'network.transport': 'vendor',
        'ot.operation': MAPPING,
        category: MAPPING,
        attacks: MAPPING,
      });
    });

    it('reads a new node from the alerts API, nulls and all', () => {
      // Shaped like the records in demisto/content Packs/NozomiNetworks test data.
      const alert = only(
        run(normalize, 'nozomi', {
          id: '14878bf5-a784-4847-8e96-2e93db17dab5',
          type_id: 'VI:NEW-NODE',
          name: 'New Node',
          type_name: 'New Node',
          description: 'New node 10.197.23.139 appeared on the network',
          severity: 10,
          mac_src: '00:c0:c9:30:04:f1',
          mac_dst: null,
          ip_src: '10.197.23.139',
          ip_dst: null,
          risk: '9.0',
          protocol: '',
          src_roles: 'other',
          dst_roles: null,
          time: 1392048082242,
          port_src: null,
          port_dst: null,
          label_src: null,
          label_dst: null,
          transport_protocol: 'unknown',
          is_security: true,
          properties: { network_learnable: true, victims: ['10.197.23.139:2404'] },
          zone_src: null,
          zone_dst: null,
        }),
      );
      expect(alert.hosts).toEqual([{ ip: '10.197.23.139' }]);
      expect(alert.network).toEqual({ protocol: 'unknown', industrial: false, safety: false });
      expect(alert.ot).toEqual({ operation: 'new_device' });
      expect([alert.category, alert.provenance?.['ot.operation']]).toEqual(['anomaly', MAPPING]);
    });

    it('takes the Modbus function code from the description, not other numbers', () => {
      const alert = (description: string) => only(run(normalize, 'nozomi', { ...body(), description })).ot;
      expect(alert('New function code 16 (write multiple registers) from 10.10.4.17 to 10.20.1.7')).toEqual({
        operation: 'write',
        functionCode: '16',
      });
      expect(alert('New function code 3 (read holding registers) from 10.10.4.17 to 10.20.1.7')).toEqual({
        operation: 'read',
        functionCode: '3',
      });
      expect(alert('Function code 5. Source 10.10.4.17')).toEqual({ operation: 'write', functionCode: '5' });
      // Not a function code: a version number, a longer number.
      expect(alert('Function code 1.5 of the new firmware')?.functionCode).toBeUndefined();
      expect(alert('FC 16000 frames seen')?.functionCode).toBeUndefined();
      // No function code written: "new function code" is a new communication.
      expect(alert('A new function code was used from 10.10.4.17 to 10.20.1.7 on port 502')).toEqual({
        operation: 'new_communication',
      });
    });

    it('uses the vendor ATT&CK techniques for a CPU stop, and the S7 function code for the mode', () => {
      // No Nozomi type ID for a CPU stop could be confirmed from its documentation, so this
      // record has none: the meaning comes from Vantage's technique list and the function code.
      const b: Record<string, unknown> = {
        ...body(),
        name: 'PLC operating mode change',
        description: 'Function code 0x29 sent from 10.10.4.17 to 10.20.1.7',
        protocol: 's7',
        port_src: 49152,
        port_dst: 102,
        transport_protocol: 'tcp',
        properties: {
          mitre_attack_for_ics: {
            techniques: [{ id: 'T0858', name: 'Change Operating Mode', tactic: 'Execution' }],
          },
        },
      };
      delete b.type_id;
      const alert = only(run(normalize, 'nozomi', b));
      expect(alert.network?.protocol).toBe('s7comm');
      expect(alert.ot).toEqual({ operation: 'mode_change', mode: 'stop', functionCode: '0x29' });
      expect(alert.attacks).toEqual([
        {
          technique: { uid: 'T0858', name: 'Change Operating Mode' },
          tactics: [{ name: 'Execution' }],
          matrix: 'ics',
        },
      ]);
      expect(alert.provenance).toMatchObject({
        attacks: 'vendor',
        'ot.operation': 'attacks',
        'ot.mode': 'function-code',
        category: 'attacks',
      });
      expect(alert.category).toBe('unauthorized_change');
    });

    it('reads the flat ATT&CK fields of the CEF export and prefers them to the table', () => {
      const alert = only(
        run(normalize, 'nozomi', {
          ...bare('SIGN:MULTIPLE-UNSUCCESSFUL-LOGINS'),
          mitre_attack_techniques: 'T0843',
          mitre_attack_tactics: 'impair_process_control, inhibit_response_function, persistence',
        }),
      );
      expect(alert.attacks).toEqual([
        {
          technique: { uid: 'T0843', name: 'Program Download' },
          tactics: [{ name: 'impair process control' }, { name: 'inhibit response function' }, { name: 'persistence' }],
          matrix: 'ics',
        },
      ]);
      expect(alert.provenance?.['attacks']).toBe('vendor');
      // The table still says what the type is.
      expect([alert.category, alert.provenance?.['category']]).toEqual(['credential_access', MAPPING]);
    });

    it('reads enterprise techniques and ignores malformed technique entries', () => {
      const alert = only(
        run(normalize, 'nozomi', {
          ...bare('SIGN:MALWARE-DETECTED'),
          properties: {
            mitre_attack_enterprise: {
              techniques: [{ id: 'T1071', name: 'Application Layer Protocol', tactic: 'Command and Control' }, 42],
            },
            mitre_attack_for_ics: { techniques: 'not a list' },
          },
        }),
      );
      expect(alert.attacks?.map((a) => a.technique.uid)).toEqual(['T1071']);
      expect(alert.category).toBe('malware');
    });

    it('treats "tcp/<port>" as no application protocol, and an unknown transport as none', () => {
      const alert = only(
        run(normalize, 'nozomi', {
          ...bare('SIGN:SIGMA-RULE'),
          protocol: 'tcp/1122',
          transport_protocol: 'tcp',
          port_src: 2233,
          port_dst: 1122,
        }),
      );
      expect(alert.network).toEqual({
        protocol: 'unknown',
        industrial: false,
        safety: false,
        transport: 'tcp',
        srcPort: 2233,
        dstPort: 1122,
      });
      const unknown = only(run(normalize, 'nozomi', { ...bare('SIGN:SIGMA-RULE'), transport_protocol: 'unknown' }));
      expect(unknown.network?.transport).toBeUndefined();
    });

    it('rejects ports that are not ports', () => {
      expect(rejectedPaths(normalize, 'nozomi', { ...body(), port_dst: 70000, port_src: '502' }).sort()).toEqual([
        'port_dst',
        'port_src',
      ]);
    });
  });
});
