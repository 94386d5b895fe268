import { normalize } from '../../../src/intake/normalizers/qradar';
import {
  QRADAR_CATEGORIES_TABLE,
  QRADAR_HIGH_LEVEL,
  QRADAR_LOW_LEVEL,
} from '../../../src/intake/mappings/qradar-categories';
import { only, run } from './support';

/** An offense as GET /api/siem/offenses returns it (and a forwarder pushes it). */
function offense(over: Record<string, unknown>) {
  return {
    id: 7001,
    description: 'Offense',
    offense_type: 0,
    offense_source: '10.10.4.17',
    severity: 7,
    magnitude: 6,
    credibility: 5,
    relevance: 5,
    status: 'OPEN',
    start_time: 1763632200000,
    event_count: 12,
    flow_count: 4,
    source_address_ids: [12],
    local_destination_address_ids: [34],
    categories: [],
    rules: [{ id: 100001, type: 'CRE_RULE' }],
    domain_id: 0,
    ...over,
  };
}

describe('qradar normalizer: meaning fields', () => {
  it('reads a destination-port offense on Modbus/TCP: the port gives the protocol', () => {
    const alert = only(
      run(
        normalize,
        'qradar',
        offense({
          description: 'ICS: Modbus Write Single Register from non-engineering host\n',
          offense_type: 9,
          offense_source: '502',
          categories: ['Suspicious Activity', 'Invalid Command or Data'],
        }),
      ),
    );
    expect(alert.network).toEqual({ protocol: 'modbus', industrial: true, safety: false, dstPort: 502 });
    expect(alert.provenance).toMatchObject({ 'network.protocol': 'port', 'network.dstPort': 'vendor' });
    expect(alert.ot?.operation).toBe('write');
    expect(alert.category).toBe('anomaly');
    expect(alert.provenance?.['category']).toBe(`mapping:${QRADAR_CATEGORIES_TABLE}`);
  });

  it('reads a program download offense on a PLC (destination IP) from its description', () => {
    const alert = only(
      run(
        normalize,
        'qradar',
        offense({
          description: 'S7 PLC program download from unapproved workstation containing Unknown Suspicious Event\n',
          offense_type: 1,
          offense_source: '10.20.1.9',
          categories: ['Unknown Suspicious Event'],
        }),
      ),
    );
    expect(alert.dst).toEqual({ ip: '10.20.1.9' });
    expect(alert.provenance?.['dst.ip']).toBe('text');
    expect(alert.network?.protocol).toBe('s7comm');
    expect(alert.ot?.operation).toBe('program_download');
  });

  it('reads ransomware: a technique in the rule name beats the Malware category', () => {
    const alert = only(
      run(
        normalize,
        'qradar',
        offense({
          description: 'Ransomware: Data Encrypted for Impact (T1486) preceded by Virus Detected\n',
          categories: ['Virus Detected', 'Malware'],
          offense_source: '10.30.1.15',
        }),
      ),
    );
    expect(alert.attacks?.map((a) => a.technique)).toEqual([{ uid: 'T1486', name: 'Data Encrypted for Impact' }]);
    expect(alert.category).toBe('ransomware');
    expect(alert.provenance).toMatchObject({ attacks: 'text', category: 'attacks', 'src.ip': 'text' });
  });

  it('takes a low-level category before a high-level one', () => {
    const alert = only(
      run(normalize, 'qradar', offense({ categories: ['Malware', 'Host Port Scan'], description: 'Offense' })),
    );
    expect(alert.category).toBe('reconnaissance');
  });

  describe(`table ${QRADAR_CATEGORIES_TABLE}`, () => {
    const entries = [...Object.entries(QRADAR_LOW_LEVEL), ...Object.entries(QRADAR_HIGH_LEVEL)];
    it.each(entries)('category %s → %s', (name, category) => {
      // As QRadar spells them (title case); the table matches case-insensitively.
      const titled = name.replace(/\b\w/g, (c) => c.toUpperCase());
      const alert = only(run(normalize, 'qradar', offense({ categories: [titled], description: 'Offense' })));
      expect(alert.category).toBe(category);
      expect(alert.provenance?.['category']).toBe(`mapping:${QRADAR_CATEGORIES_TABLE}`);
    });
  });
});
