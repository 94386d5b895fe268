import { normalize } from '../../../src/intake/normalizers/wazuh';
import { WAZUH_GROUP_CATEGORIES, WAZUH_GROUPS_TABLE } from '../../../src/intake/mappings/wazuh-groups';
import { only, run } from './support';

const base = {
  timestamp: '2026-11-20T09:02:11.480+0000',
  agent: { id: '021', name: 'ot-sensor-01', ip: '10.20.0.5' },
  manager: { name: 'wazuh-manager' },
  id: '1763629331.552399',
};

describe('wazuh normalizer: meaning fields', () => {
  it('reads a Modbus write detected by a Suricata rule, with its ATT&CK for ICS mapping', () => {
    const alert = only(
      run(normalize, 'wazuh', {
        ...base,
        rule: {
          level: 12,
          id: '100210',
          description: 'Suricata: Alert - ET SCADA Modbus Write Multiple Registers from non-engineering host',
          groups: ['ids', 'suricata'],
          mitre: { id: ['T0836'], tactic: ['Impair Process Control'], technique: ['Modify Parameter'] },
        },
        decoder: { name: 'json' },
        data: {
          src_ip: '10.10.4.17',
          src_port: '50112',
          dest_ip: '10.20.1.7',
          dest_port: '502',
          proto: 'TCP',
          app_proto: 'modbus',
          alert: {
            signature: 'ET SCADA Modbus Write Multiple Registers',
            category: 'Attempted Administrator Privilege Gain',
          },
        },
      }),
    );
    expect(alert.network).toEqual({
      protocol: 'modbus',
      protocolName: 'modbus',
      industrial: true,
      safety: false,
      transport: 'tcp',
      srcPort: 50112,
      dstPort: 502,
    });
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T0836', name: 'Modify Parameter' },
        tactics: [{ name: 'Impair Process Control' }],
        matrix: 'ics',
      },
    ]);
    expect(alert.ot?.operation).toBe('write');
    expect(alert.category).toBe('unauthorized_change');
  });

  it('reads ransomware from rule.mitre (several techniques) before the groups', () => {
    const alert = only(
      run(normalize, 'wazuh', {
        ...base,
        agent: { id: '017', name: 'fin-srv-01', ip: '10.30.1.15' },
        rule: {
          level: 15,
          id: '100620',
          description: 'Possible ransomware activity: shadow copies deleted and files encrypted',
          groups: ['windows', 'sysmon', 'malware'],
          mitre: {
            id: ['T1490', 'T1486'],
            tactic: ['Impact'],
            technique: ['Inhibit System Recovery', 'Data Encrypted for Impact'],
          },
        },
      }),
    );
    expect(alert.attacks?.map((a) => [a.technique.uid, a.technique.name])).toEqual([
      ['T1490', 'Inhibit System Recovery'],
      ['T1486', 'Data Encrypted for Impact'],
    ]);
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance?.['category']).toBe('attacks');
  });

  it('reads a Windows Defender detection by its threat and category names (the event fields), not by its rule title', () => {
    const alert = only(
      run(normalize, 'wazuh', {
        ...base,
        agent: { id: '044', name: 'fin-lt-042', ip: '10.30.5.42' },
        rule: {
          level: 12,
          id: '62123',
          description: 'Windows Defender: Antimalware platform detected potentially unwanted software',
          groups: ['windows', 'windows_defender'],
        },
        data: {
          win: {
            system: { eventID: '1116', channel: 'Microsoft-Windows-Windows Defender/Operational' },
            eventdata: {
              'threat Name': 'Ransom:Win32/LockBit.A!MTB',
              'category Name': 'Ransomware',
              'severity Name': 'Severe',
            },
          },
        },
      }),
    );
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance?.['category']).toBe('text');
    expect(alert.hosts[0]).toMatchObject({ hostname: 'fin-lt-042' });
  });

  it('maps documented rule groups to a category through the versioned table', () => {
    const alert = only(
      run(normalize, 'wazuh', {
        ...base,
        rule: {
          level: 10,
          id: '5712',
          description: 'sshd: brute force trying to get access to the system.',
          groups: ['syslog', 'sshd', 'authentication_failures'],
        },
        data: { srcip: '203.0.113.88', srcport: '51122', dstport: '22', protocol: 'TCP' },
      }),
    );
    expect(alert.category).toBe('credential_access');
    expect(alert.provenance?.['category']).toBe(`mapping:${WAZUH_GROUPS_TABLE}`);
    // A decoder's "TCP" in data.protocol is the transport; the port says ssh.
    expect(alert.network).toMatchObject({ protocol: 'ssh', transport: 'tcp', srcPort: 51122, dstPort: 22 });
  });

  describe(`table ${WAZUH_GROUPS_TABLE}`, () => {
    it.each(WAZUH_GROUP_CATEGORIES.map(([group, category]) => [group, category]))(
      'group %s → %s',
      (group, category) => {
        const alert = only(
          run(normalize, 'wazuh', {
            ...base,
            rule: { level: 5, id: '1', description: 'Event', groups: ['local', group] },
          }),
        );
        expect(alert.category).toBe(category);
        expect(alert.provenance?.['category']).toBe(`mapping:${WAZUH_GROUPS_TABLE}`);
      },
    );
  });
});
