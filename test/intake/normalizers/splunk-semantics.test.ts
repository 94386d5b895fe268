import { normalize } from '../../../src/intake/normalizers/splunk';
import { only, run } from './support';

/** Bodies as Splunk's webhook alert action sends them: every result value a string (or string array). */
function webhook(result: Record<string, string | string[]>, searchName: string) {
  return {
    result,
    sid: 'scheduler__admin__SplunkEnterpriseSecuritySuite__RMD5_at_1763712000_77',
    search_name: searchName,
  };
}

describe('splunk normalizer: meaning fields', () => {
  it('reads a Network_Traffic Modbus write with an ES ATT&CK for ICS annotation', () => {
    const alert = only(
      run(
        normalize,
        'splunk',
        webhook(
          {
            _time: '1763712000.123',
            app: 'modbus',
            transport: 'tcp',
            src_ip: '10.10.4.17',
            src_port: '50112',
            dest_ip: '10.20.1.7',
            dest_port: '502',
            direction: 'inbound',
            signature: 'Modbus Write Multiple Registers from IT zone',
            'annotations.mitre_attack.mitre_technique_id': ['T0836', 'T0855'],
            'annotations.mitre_attack.mitre_tactic': ['Impair Process Control'],
            urgency: 'critical',
          },
          'OT - Modbus Write From Non-Engineering Host - Rule',
        ),
      ),
    );
    expect(alert.network).toEqual({
      protocol: 'modbus',
      protocolName: 'modbus',
      industrial: true,
      safety: false,
      transport: 'tcp',
      srcPort: 50112,
      dstPort: 502,
      direction: 'inbound',
    });
    expect(alert.attacks?.map((a) => a.technique)).toEqual([
      { uid: 'T0836', name: 'Modify Parameter' },
      { uid: 'T0855', name: 'Unauthorized Command Message' },
    ]);
    expect(alert.attacks?.[0]?.matrix).toBe('ics');
    expect(alert.attacks?.[0]?.tactics).toEqual([{ name: 'Impair Process Control' }]);
    expect(alert.ot?.operation).toBe('write');
    expect(alert.category).toBe('unauthorized_change');
    expect(alert.provenance).toMatchObject({
      'network.protocol': 'vendor',
      'network.dstPort': 'vendor',
      attacks: 'vendor',
      'ot.operation': 'attacks',
      category: 'attacks',
    });
  });

  it('reads a ransomware notable: flat mitre_technique_id, comma list, Malware data model fields', () => {
    const alert = only(
      run(
        normalize,
        'splunk',
        webhook(
          {
            dest: 'fin-lt-042',
            user: 'jdoe',
            signature: 'Ransom:Win32/LockBit.A',
            category: 'ransomware',
            file_name: 'invoice.pdf.lockbit',
            action: 'allowed',
            mitre_technique_id: 'T1486, T1490',
            mitre_tactic: 'impact',
            urgency: 'high',
          },
          'Endpoint - Ransomware Extension Detected - Rule',
        ),
      ),
    );
    expect(alert.attacks?.map((a) => a.technique.uid)).toEqual(['T1486', 'T1490']);
    expect(alert.attacks?.[0]?.tactics).toEqual([{ name: 'impact' }]);
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance?.['category']).toBe('attacks');
    expect(alert.network).toEqual({ protocol: 'unknown', industrial: false, safety: false });
    expect(alert.ot?.operation).toBe('unknown');
  });

  it('reads annotations.mitre_attack (technique IDs) with sub-techniques and tactic IDs', () => {
    const alert = only(
      run(
        normalize,
        'splunk',
        webhook(
          {
            'annotations.mitre_attack': ['T1021.001'],
            'annotations.mitre_attack.mitre_tactic_id': ['TA0008'],
            dest_port: '3389',
            transport: 'tcp',
          },
          'Network - Unusual RDP Between Workstations - Rule',
        ),
      ),
    );
    expect(alert.attacks).toEqual([
      {
        technique: { uid: 'T1021', name: 'Remote Services' },
        subTechnique: { uid: 'T1021.001' },
        tactics: [{ uid: 'TA0008', name: 'Lateral Movement' }],
        matrix: 'enterprise',
      },
    ]);
    expect(alert.category).toBe('lateral_movement');
    expect(alert.network?.protocol).toBe('rdp');
    expect(alert.provenance?.['network.protocol']).toBe('port');
  });

  it('does not take an Authentication data model app name for a protocol', () => {
    const alert = only(
      run(normalize, 'splunk', webhook({ app: 'win:local', user: 'admin', action: 'failure' }, 'Brute force login')),
    );
    expect(alert.network?.protocol).toBe('unknown');
    expect(alert.category).toBe('credential_access');
  });
});
