/** Normalized alerts for playbook tests, validated against the real alert schema. */
import { alertSchema, severityId, type Alert, type Severity } from '../../src/alerts/alert';

const RAW_SHA = 'a'.repeat(64);

export function buildAlert(overrides: Partial<Alert> & { severity?: Severity } = {}): Alert {
  const severity = overrides.severity ?? 'high';
  return alertSchema.parse({
    classUid: 2004,
    uid: 'alert-1',
    time: '2026-11-20T11:00:00.000Z',
    title: 'Test alert',
    rule: {},
    hosts: [],
    ips: [],
    users: [],
    observables: [],
    source: { name: 'generic', product: 'Generic JSON' },
    rawSha256: RAW_SHA,
    ...overrides,
    severity,
    severityId: severityId(severity),
  });
}

/** What the Splunk fixture (/work/shared/fixtures/siem/splunk.json) normalizes to. */
export const splunkRansomwareAlert: Alert = buildAlert({
  uid: 'scheduler__admin__search__RMD5a1f3_at_1763712000_4411/0f3c',
  title: 'EDR - Ransomware Behaviour',
  severity: 'high',
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
  source: { name: 'splunk', product: 'Splunk' },
  // As the Splunk normalizer derives it from the search name.
  network: { protocol: 'unknown', industrial: false, safety: false },
  ot: { operation: 'unknown' },
  attacks: [],
  category: 'ransomware',
});

/** S4: an IT engineering host writes Modbus registers on a PLC. */
export const modbusWriteAlert: Alert = buildAlert({
  uid: 'c2d1e8a4-9b7f-4e2a-a1d0-5f6e7d8c9b0a',
  title: 'Modbus write multiple registers from IT host to PLC',
  severity: 'high',
  rule: { uid: 'VI:NEW-FUNC-CODE', name: 'New function code' },
  hosts: [{ ip: '10.20.1.7' }, { hostname: 'it-ws-17', ip: '10.10.4.17' }],
  ips: ['10.20.1.7', '10.10.4.17'],
  src: { hostname: 'it-ws-17', ip: '10.10.4.17' },
  dst: { ip: '10.20.1.7' },
  source: { name: 'nozomi', product: 'Nozomi Networks Guardian' },
  // As the Nozomi normalizer derives it: protocol and port, function code 16 from the description.
  network: { protocol: 'modbus', industrial: true, safety: false, transport: 'tcp', dstPort: 502 },
  ot: { operation: 'write', functionCode: '16' },
  attacks: [],
  category: 'anomaly',
});
