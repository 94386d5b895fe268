/**
 * The words a normalized alert speaks, whatever its vendor said: network protocols, OT
 * operations, controller modes and categories — each a documented, closed list — plus the
 * normalization of the vendor's own spelling into them. Reference: docs/alerts.md.
 *
 * WORKFLOW-SAFE: pure data and functions (normalized alerts travel through workflows). It
 * imports nothing: workflow code (search-attributes.ts) reads SEVERITIES from here, not from
 * alert.ts, so the workflow bundle carries no zod (each cached workflow would evaluate it).
 */

/** OCSF's 0–6 severity scale, in order (the alert model's `severity`). */
export const SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high', 'critical', 'fatal'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityId(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Industrial protocols. Aliases are the spellings sensors and SIEMs use (Zeek, Suricata,
 * Nozomi, Defender for IoT, Claroty, Dragos, Splunk CIM `app`/`transport`, ECS `network.protocol`).
 */
const INDUSTRIAL_PROTOCOLS = {
  modbus: ['modbus', 'modbus/tcp', 'modbus tcp', 'modbus-tcp', 'modbustcp', 'mbtcp', 'modbus rtu', 'modbus_rtu'],
  s7comm: ['s7comm', 's7', 's7-comm', 's7 comm', 'siemens s7', 's7comm-plus', 's7commplus', 's7plus', 's7comm+'],
  dnp3: ['dnp3', 'dnp 3', 'dnp'],
  enip: ['enip', 'ethernet/ip', 'ethernetip', 'ethernet ip', 'ethernet-ip', 'cip', 'cip/enip', 'enip/cip'],
  iec104: ['iec104', 'iec 104', 'iec-104', 'iec 60870-5-104', 'iec60870-5-104', 'iec-60870-5-104', 'iec_104'],
  iec61850: [
    'iec61850',
    'iec 61850',
    'iec-61850',
    'mms',
    'iec61850-mms',
    'iec 61850 mms',
    'goose',
    'sv',
    'iec61850-goose',
  ],
  opcua: ['opcua', 'opc ua', 'opc-ua', 'opc_ua', 'opc-ua-binary', 'opcua-binary'],
  opcda: ['opcda', 'opc da', 'opc-da', 'opc', 'opc classic'],
  bacnet: ['bacnet', 'bacnet/ip', 'bacnet-ip', 'bacnetip'],
  profinet: ['profinet', 'pn-io', 'pnio', 'profinet io', 'profinet-io', 'profinet-dcp', 'pn-dcp', 'dcp'],
  tristation: ['tristation', 'tsaa', 'triconex', 'tricon'],
  srtp: ['srtp', 'ge srtp', 'ge-srtp', 'gesrtp'],
  melsec: ['melsec', 'mc protocol', 'slmp', 'melsoft'],
  fins: ['fins', 'omron fins', 'omron-fins'],
  hart: ['hart', 'hart-ip', 'hartip'],
  codesys: ['codesys', 'codesys v3'],
  umas: ['umas', 'modbus umas', 'schneider umas'],
  fox: ['fox', 'niagara fox', 'niagara'],
  mqtt: ['mqtt', 'mqtts'],
  other_ics: [],
} as const satisfies Record<string, readonly string[]>;

/** Safety-instrumented-system protocols: a session speaking one of them touches a safety system. */
export const SAFETY_PROTOCOLS = ['tristation'] as const;

/** IT protocols, for alerts from IT tools and for OT networks' IT traffic. */
const IT_PROTOCOLS = {
  http: ['http', 'http/1.1', 'http2', 'http/2'],
  https: ['https', 'http over tls', 'ssl/http'],
  tls: ['tls', 'ssl'],
  dns: ['dns', 'domain'],
  smb: ['smb', 'smb2', 'smb3', 'cifs', 'microsoft-ds', 'netbios-ssn'],
  rdp: ['rdp', 'ms-wbt-server', 'remote desktop', 'remote desktop protocol'],
  ssh: ['ssh'],
  telnet: ['telnet'],
  ftp: ['ftp', 'ftp-data'],
  tftp: ['tftp'],
  smtp: ['smtp', 'smtps', 'submission'],
  ldap: ['ldap', 'ldaps'],
  kerberos: ['kerberos', 'krb5', 'kerberos-sec'],
  ntp: ['ntp'],
  snmp: ['snmp', 'snmptrap'],
  vnc: ['vnc', 'rfb'],
  winrm: ['winrm', 'wsman'],
  dcerpc: ['dcerpc', 'dce_rpc', 'msrpc', 'rpc', 'epmap'],
  icmp: ['icmp', 'icmpv6', 'ipv6-icmp', 'ping'],
  syslog: ['syslog'],
  other: [],
} as const satisfies Record<string, readonly string[]>;

export type IndustrialProtocol = keyof typeof INDUSTRIAL_PROTOCOLS;
export type ItProtocol = keyof typeof IT_PROTOCOLS;
export type Protocol = IndustrialProtocol | ItProtocol | 'unknown';

export const INDUSTRIAL_PROTOCOL_NAMES = Object.keys(INDUSTRIAL_PROTOCOLS) as IndustrialProtocol[];
export const PROTOCOLS = [
  ...INDUSTRIAL_PROTOCOL_NAMES,
  ...(Object.keys(IT_PROTOCOLS) as ItProtocol[]),
  'unknown',
] as const satisfies readonly Protocol[];

const PROTOCOL_BY_ALIAS = new Map<string, Protocol>();
const ALIAS_TABLES: readonly Readonly<Record<string, readonly string[]>>[] = [INDUSTRIAL_PROTOCOLS, IT_PROTOCOLS];
for (const table of ALIAS_TABLES) {
  for (const [name, aliases] of Object.entries(table)) {
    PROTOCOL_BY_ALIAS.set(name, name as Protocol);
    for (const alias of aliases) PROTOCOL_BY_ALIAS.set(alias, name as Protocol);
  }
}

const squash = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, ' ');

/**
 * The documented protocol for a vendor's word, or undefined when it is not one we know
 * (the caller keeps the vendor's word in `network.protocolName`).
 */
export function normalizeProtocol(raw: string | undefined | null): Protocol | undefined {
  if (raw === undefined || raw === null) return undefined;
  const word = squash(raw);
  if (word === '') return undefined;
  return (
    PROTOCOL_BY_ALIAS.get(word) ??
    PROTOCOL_BY_ALIAS.get(word.replace(/ /g, '')) ??
    PROTOCOL_BY_ALIAS.get(word.replace(/ /g, '-'))
  );
}

export function isIndustrialProtocol(protocol: string | undefined): boolean {
  return protocol !== undefined && Object.hasOwn(INDUSTRIAL_PROTOCOLS, protocol);
}

export function isSafetyProtocol(protocol: string | undefined): boolean {
  return (SAFETY_PROTOCOLS as readonly string[]).includes(protocol ?? '');
}

/**
 * Well-known server ports (IANA registrations and vendor documentation). Used only when the
 * vendor names no protocol. Port 102 (ISO-TSAP) carries both S7comm and IEC 61850 MMS, so it
 * says nothing on its own.
 */
const PROTOCOL_BY_PORT: Readonly<Record<number, Protocol>> = {
  502: 'modbus',
  802: 'modbus',
  20000: 'dnp3',
  44818: 'enip',
  2222: 'enip',
  2404: 'iec104',
  4840: 'opcua',
  47808: 'bacnet',
  34962: 'profinet',
  34963: 'profinet',
  34964: 'profinet',
  1502: 'tristation',
  18245: 'srtp',
  5007: 'melsec',
  9600: 'fins',
  5094: 'hart',
  1217: 'codesys',
  11740: 'codesys',
  1911: 'fox',
  4911: 'fox',
  1883: 'mqtt',
  8883: 'mqtt',
  80: 'http',
  443: 'https',
  53: 'dns',
  445: 'smb',
  139: 'smb',
  3389: 'rdp',
  22: 'ssh',
  23: 'telnet',
  21: 'ftp',
  69: 'tftp',
  25: 'smtp',
  587: 'smtp',
  389: 'ldap',
  636: 'ldap',
  88: 'kerberos',
  123: 'ntp',
  161: 'snmp',
  162: 'snmp',
  5900: 'vnc',
  5985: 'winrm',
  5986: 'winrm',
  135: 'dcerpc',
  514: 'syslog',
};

export function protocolFromPort(port: number | undefined): Protocol | undefined {
  return port === undefined ? undefined : PROTOCOL_BY_PORT[port];
}

/** What an OT alert says was done to or seen at an industrial device. */
export const OT_OPERATIONS = [
  'read',
  'write',
  'program_download',
  'program_upload',
  'mode_change',
  'firmware_update',
  'config_change',
  'new_device',
  'new_communication',
  'scan',
  'safety_access',
  'unknown',
] as const;
export type OtOperation = (typeof OT_OPERATIONS)[number];

/** The new controller mode of a `mode_change` (key switch and CPU state words). */
export const CONTROLLER_MODES = ['run', 'stop', 'program', 'remote', 'test', 'reset', 'unknown'] as const;
export type ControllerMode = (typeof CONTROLLER_MODES)[number];

const MODE_WORDS: Readonly<Record<string, ControllerMode>> = {
  run: 'run',
  running: 'run',
  start: 'run',
  started: 'run',
  'cold start': 'run',
  'warm start': 'run',
  'hot start': 'run',
  stop: 'stop',
  stopped: 'stop',
  halt: 'stop',
  halted: 'stop',
  'cpu stop': 'stop',
  'plc stop': 'stop',
  shutdown: 'stop',
  program: 'program',
  prog: 'program',
  'program mode': 'program',
  remote: 'remote',
  rem: 'remote',
  'remote program': 'program',
  'remote run': 'run',
  test: 'test',
  debug: 'test',
  reset: 'reset',
  restart: 'reset',
  reboot: 'reset',
};

export function normalizeMode(raw: string | undefined | null): ControllerMode | undefined {
  if (raw === undefined || raw === null) return undefined;
  return MODE_WORDS[squash(raw)];
}

/** What kind of threat or finding an alert reports. */
export const CATEGORIES = [
  'ransomware',
  'malware',
  'phishing',
  'credential_access',
  'lateral_movement',
  'command_and_control',
  'exfiltration',
  'reconnaissance',
  'initial_access',
  'execution',
  'persistence',
  'privilege_escalation',
  'defense_evasion',
  'impact',
  'denial_of_service',
  'unauthorized_change',
  'policy_violation',
  'anomaly',
  'vulnerability',
  'operational',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const DIRECTIONS = ['inbound', 'outbound', 'lateral', 'local', 'unknown'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export function normalizeDirection(raw: string | undefined | null): Direction | undefined {
  if (raw === undefined || raw === null) return undefined;
  const word = squash(raw);
  if (['inbound', 'ingress', 'incoming', 'in', 'external'].includes(word)) return 'inbound';
  if (['outbound', 'egress', 'outgoing', 'out'].includes(word)) return 'outbound';
  if (['lateral', 'internal', 'east-west', 'east west'].includes(word)) return 'lateral';
  if (['local', 'loopback'].includes(word)) return 'local';
  return undefined;
}

export const TRANSPORTS = ['tcp', 'udp', 'icmp', 'sctp', 'other'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export function normalizeTransport(raw: string | number | undefined | null): Transport | undefined {
  if (raw === undefined || raw === null) return undefined;
  const word = typeof raw === 'number' ? String(raw) : squash(raw);
  if (word === 'tcp' || word === '6') return 'tcp';
  if (word === 'udp' || word === '17') return 'udp';
  if (word === 'icmp' || word === 'icmpv6' || word === 'ipv6-icmp' || word === '1' || word === '58') return 'icmp';
  if (word === 'sctp' || word === '132') return 'sctp';
  return word === '' ? undefined : 'other';
}
