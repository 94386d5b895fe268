import { normalize } from '../../../src/intake/normalizers/elastic';
import { only, run } from './support';

const kibana = (rule: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  uuid: '0f4e1c2a-7b7e-4d0e-9c1e-3a5b6c7d8e9f',
  severity: 'critical',
  rule: { name: 'ICS: PLC program download', uuid: 'a1b2c3d4-0000-4000-8000-000000000001', ...rule },
  ...extra,
});

describe('elastic normalizer: meaning fields', () => {
  it('reads an S7comm program download: ECS network fields and the rule threat mapping (flattened keys)', () => {
    const body = {
      alerts: [
        {
          '@timestamp': '2026-11-20T08:14:03.551Z',
          'kibana.alert': kibana({
            threat: [
              {
                framework: 'MITRE ATT&CK',
                tactic: {
                  id: 'TA0106',
                  name: 'Impair Process Control',
                  reference: 'https://attack.mitre.org/tactics/TA0106/',
                },
                technique: [
                  { id: 'T0843', name: 'Program Download', reference: 'https://attack.mitre.org/techniques/T0843/' },
                ],
              },
            ],
            tags: ['OT', 'Siemens'],
          }),
          'network.protocol': 's7comm',
          'network.transport': 'tcp',
          'network.direction': 'internal',
          'source.ip': '10.10.4.17',
          'source.port': 49731,
          'destination.ip': '10.20.1.9',
          'destination.port': 102,
          'event.category': ['network', 'intrusion_detection'],
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', body));
    expect(alert.network).toEqual({
      protocol: 's7comm',
      protocolName: 's7comm',
      industrial: true,
      safety: false,
      transport: 'tcp',
      srcPort: 49731,
      dstPort: 102,
      direction: 'lateral',
    });
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T0843', name: 'Program Download' },
        tactics: [{ uid: 'TA0106', name: 'Impair Process Control' }],
        matrix: 'ics',
      },
    ]);
    expect(alert.ot?.operation).toBe('program_download');
    expect(alert.category).toBe('unauthorized_change');
    expect(alert.provenance).toMatchObject({ attacks: 'vendor', 'ot.operation': 'attacks', category: 'attacks' });
  });

  it('reads a Zeek Modbus function as the function code', () => {
    const body = {
      alerts: [
        {
          kibana: { alert: kibana({ name: 'Modbus write from corporate network' }) },
          network: { protocol: 'modbus', transport: 'tcp' },
          destination: { ip: '10.20.1.7', port: '502' },
          zeek: { modbus: { function: 'WRITE_MULTIPLE_REGISTERS' } },
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', body));
    expect(alert.ot).toEqual({ operation: 'write', functionCode: 'WRITE_MULTIPLE_REGISTERS' });
    expect(alert.network?.dstPort).toBe(502);
  });

  it('reads ransomware: event.category malware, threat.* fields with a sub-technique', () => {
    const body = {
      alerts: [
        {
          kibana: {
            alert: kibana(
              { name: 'Ransomware - Detected - Elastic Endgame' },
              { reason: 'malware event with process vssadmin.exe on fin-lt-042' },
            ),
          },
          host: { name: 'fin-lt-042' },
          event: { category: ['malware', 'intrusion_detection', 'file'], type: ['info'] },
          threat: {
            framework: 'MITRE ATT&CK',
            tactic: { id: ['TA0040'], name: ['Impact'] },
            technique: { id: ['T1486'], name: ['Data Encrypted for Impact'] },
          },
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', body));
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T1486', name: 'Data Encrypted for Impact' },
        tactics: [{ uid: 'TA0040', name: 'Impact' }],
        matrix: 'enterprise',
      },
    ]);
    // event.category says malware; T1486 says more precisely what kind.
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance?.['category']).toBe('attacks');
  });

  it('takes event.category malware when no technique says more', () => {
    const body = {
      alerts: [
        {
          kibana: { alert: kibana({ name: 'Malware Detection Alert' }) },
          event: { category: 'malware', type: 'info' },
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', body));
    expect(alert.category).toBe('malware');
    expect(alert.provenance?.['category']).toBe('vendor');
  });

  it('reads sub-techniques of the rule mapping and ignores other frameworks', () => {
    const body = {
      alerts: [
        {
          kibana: {
            alert: kibana({
              name: 'RDP lateral movement',
              threat: [
                {
                  framework: 'MITRE ATT&CK',
                  tactic: { id: 'TA0008', name: 'Lateral Movement' },
                  technique: [
                    {
                      id: 'T1021',
                      name: 'Remote Services',
                      subtechnique: [{ id: 'T1021.001', name: 'Remote Desktop Protocol' }],
                    },
                  ],
                },
                { framework: 'Internal', tactic: { id: 'X1', name: 'Other' } },
              ],
            }),
          },
        },
      ],
    };
    const alert = only(run(normalize, 'elastic', body));
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T1021', name: 'Remote Services' },
        subTechnique: { uid: 'T1021.001', name: 'Remote Desktop Protocol' },
        tactics: [{ uid: 'TA0008', name: 'Lateral Movement' }],
        matrix: 'enterprise',
      },
    ]);
    expect(alert.category).toBe('lateral_movement');
  });
});
