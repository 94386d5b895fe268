/**
 * The meaning fields every normalizer fills the same way once its vendor's documented fields
 * are read: network (protocol from the vendor's word, else the server port), OT operation
 * (vendor field, else ATT&CK technique, else the protocol function code, else the alert's own
 * words), ATT&CK references, category (vendor, else technique/tactic, else words). Each
 * derived field's provenance is recorded (alert.provenance). Reference: docs/alerts.md.
 */
import type { AlertNetwork, AlertOt } from '../../alerts/alert';
import {
  categoryFromAttacks,
  mergeAttacks,
  operationFromAttacks,
  techniqueIdsIn,
  attackRef,
  type AttackRef,
} from '../../alerts/attack';
import {
  isIndustrialProtocol,
  isSafetyProtocol,
  normalizeMode,
  normalizeProtocol,
  protocolFromPort,
  type Category,
  type ControllerMode,
  type Direction,
  type OtOperation,
  type Protocol,
  type Transport,
} from '../../alerts/vocabulary';

/** What a normalizer knows about the alert's meaning; each field optional, with where it came from. */
export interface SemanticsDraft {
  /** The vendor's protocol word (normalized here; kept as protocolName). */
  protocol?: string | undefined;
  transport?: Transport | undefined;
  srcPort?: number | undefined;
  dstPort?: number | undefined;
  direction?: Direction | undefined;
  operation?: OtOperation | undefined;
  mode?: ControllerMode | undefined;
  functionCode?: string | number | undefined;
  attacks?: ReadonlyArray<AttackRef | undefined>;
  category?: Category | undefined;
  /** Provenance of the fields set above, by field path (default `vendor`). */
  provenance?: Record<string, string>;
  /** The alert's own words (title, description, rule name…), for the last-resort inference. */
  text?: ReadonlyArray<string | undefined | null>;
}

export interface Semantics {
  network: AlertNetwork;
  ot: AlertOt;
  attacks: AttackRef[];
  category: Category;
  provenance: Record<string, string>;
}

/** Function codes whose meaning the protocol specification fixes. */
const FUNCTION_CODES: Partial<Record<Protocol, Readonly<Record<number, OtOperation>>>> = {
  // Modbus Application Protocol Specification V1.1b3.
  modbus: {
    1: 'read',
    2: 'read',
    3: 'read',
    4: 'read',
    5: 'write',
    6: 'write',
    15: 'write',
    16: 'write',
    20: 'read',
    21: 'write',
    22: 'write',
    23: 'write',
    24: 'read',
    43: 'read',
  },
  // DNP3 (IEEE 1815) application layer function codes.
  dnp3: {
    1: 'read',
    2: 'write',
    3: 'write',
    4: 'write',
    5: 'write',
    6: 'write',
    13: 'mode_change',
    14: 'mode_change',
    17: 'mode_change',
    18: 'mode_change',
    21: 'config_change',
    22: 'config_change',
    25: 'program_download',
    27: 'program_download',
  },
  // S7comm job functions (0x04 read var … 0x29 PLC stop).
  s7comm: {
    0x04: 'read',
    0x05: 'write',
    0x1a: 'program_download',
    0x1b: 'program_download',
    0x1c: 'program_download',
    0x1d: 'program_upload',
    0x1e: 'program_upload',
    0x1f: 'program_upload',
    0x28: 'mode_change',
    0x29: 'mode_change',
  },
  // IEC 60870-5-104 type IDs: 45–64 commands, 100 interrogation, 122 file transfer.
  iec104: {
    45: 'write',
    46: 'write',
    47: 'write',
    48: 'write',
    49: 'write',
    50: 'write',
    51: 'write',
    58: 'write',
    59: 'write',
    60: 'write',
    61: 'write',
    62: 'write',
    63: 'write',
    64: 'write',
    100: 'read',
    101: 'read',
    102: 'read',
    103: 'config_change',
    105: 'mode_change',
  },
};
const FUNCTION_MODES: Partial<Record<Protocol, Readonly<Record<number, ControllerMode>>>> = {
  dnp3: { 13: 'reset', 14: 'reset', 17: 'run', 18: 'stop' },
  s7comm: { 0x28: 'run', 0x29: 'stop' },
  iec104: { 105: 'reset' },
};

function functionCodeNumber(code: string): number | undefined {
  const text = code.trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

/** Protocols named in free text: only unambiguous words (no "mms", "cip", "fox" or "sv"). */
const PROTOCOL_WORDS: ReadonlyArray<readonly [RegExp, Protocol]> = [
  [/\bmodbus\b/, 'modbus'],
  [/\bs7(comm|-?plus)?\b|\bsiemens s7\b/, 's7comm'],
  [/\bdnp ?3\b/, 'dnp3'],
  [/\bethernet\/ip\b|\benip\b|\bcip\b/, 'enip'],
  [/\biec[- ]?(60870-5-)?104\b/, 'iec104'],
  [/\biec[- ]?61850\b|\bgoose\b/, 'iec61850'],
  [/\bopc[- ]?ua\b/, 'opcua'],
  [/\bbacnet\b/, 'bacnet'],
  [/\bprofinet\b/, 'profinet'],
  [/\btristation\b|\btriconex\b/, 'tristation'],
  [/\bge[- ]?srtp\b/, 'srtp'],
  [/\bmelsec\b|\bslmp\b/, 'melsec'],
  [/\bomron fins\b/, 'fins'],
  [/\bhart[- ]ip\b/, 'hart'],
  [/\bcodesys\b/, 'codesys'],
  [/\bumas\b/, 'umas'],
  [/\brdp\b|\bremote desktop\b/, 'rdp'],
  [/\bsmb\b/, 'smb'],
  [/\bssh\b/, 'ssh'],
  [/\btelnet\b/, 'telnet'],
];

/**
 * OT operations named in free text, most specific first. Words as OT sensors and SIEM rules
 * put them: "program download", "logic downloaded", "PLC stop", "set to STOP mode",
 * "write multiple registers", "new device", "port scan".
 */
const OPERATION_WORDS: ReadonlyArray<readonly [RegExp, OtOperation]> = [
  [/\bsafety (instrumented )?(system|controller|plc)\b|\bsis\b|\btristation\b|\btriconex\b/, 'safety_access'],
  [/\bfirmware\b/, 'firmware_update'],
  [
    /\bprogram (upload|read)\b|\b(upload(ed|ing)?|read(ing)?) (of )?(the |a )?(plc |controller )?(program|project|logic|ladder)/,
    'program_upload',
  ],
  [
    /\b(program|logic|project|ladder|code|block|firmware) (download|change|modification|modified|transfer|update|write)|\bdownload(ed|ing|s)? (of )?(a |the |new |modified )*(plc |controller )?(program|logic|project|ladder|code|block|configuration)|\b(plc|controller) (re)?programm?ing\b|\bprogram(med)? (the |a )?(plc|controller)|\bonline edit/,
    'program_download',
  ],
  [
    /\b(cpu|plc|controller|rtu|ied|device) (stop|stopped|halt|halted|start|started|restart|reset|reboot)|\b(stop|start|run|halt|restart) (command|request|cpu|plc|controller)|\b(mode|state) (change|changed|switch)|\b(to|into|in) (stop|run|program|remote|test) (mode|state)|\b(stop|halt)s? the (plc|controller|cpu)|\bcold (re)?start\b|\bwarm (re)?start\b|\bchange operating mode\b/,
    'mode_change',
  ],
  [
    /\b(configuration|config|setting|settings|parameter|parameters) (change|changed|download|modif\w*|update)/,
    'config_change',
  ],
  [
    /\bwrite(s|ing)?\b|\bwritten\b|\bset ?point\b|\bforce(d|s)? (coil|output|i\/o|value)|\bmodify parameter\b|\bdirect operate\b|\boperate command\b/,
    'write',
  ],
  [
    /\bnew (device|asset|node|host|mac)\b|\b(unknown|unrecognized|unauthori[sz]ed|rogue) (device|asset|node|host)\b|\b(device|asset|node) (discovered|appeared|detected|added)\b|\bfirst seen (device|asset|node)\b/,
    'new_device',
  ],
  [
    /\bnew (communication|connection|conversation|link|flow|protocol|function code|session)s?\b|\b(unauthori[sz]ed|unusual|unexpected|unapproved) (communication|connection|session|traffic)\b/,
    'new_communication',
  ],
  [/\bscan(ning|ned|s)?\b|\bsweep\b|\benumerat\w*|\bdiscovery\b|\bprob(e|ing)\b|\breconnaissance\b/, 'scan'],
  [/\bread(s|ing)?\b/, 'read'],
];

const CATEGORY_WORDS: ReadonlyArray<readonly [RegExp, Category]> = [
  [
    /\bransom\w*|\bencrypt(ed|ion|ing)? (of )?(user |many |multiple )?files\b|\bfile encryption\b|\bcrypto ?locker\b|\blockbit\b|\bryuk\b|\bwannacry\b|\bblackcat\b|\bakira\b|\bmass (file )?(rename|encryption)/,
    'ransomware',
  ],
  [/\bphish\w*/, 'phishing'],
  [
    /\bmalware\b|\btrojan\b|\bvirus\b|\bworm\b|\bbackdoor\b|\brootkit\b|\bmalicious (file|software|binary|process|code)\b|\binfect\w*/,
    'malware',
  ],
  [/\bcredential\w*|\bpassword spray\w*|\bbrute.?force\w*|\bmimikatz\b|\blsass\b|\bkerberoast\w*/, 'credential_access'],
  [/\blateral\b|\bpsexec\b|\bpass.the.(hash|ticket)\b/, 'lateral_movement'],
  [/\bc2\b|\bcommand.and.control\b|\bbeacon\w*|\bcobalt strike\b/, 'command_and_control'],
  [/\bexfiltrat\w*/, 'exfiltration'],
  [/\bdenial.of.service\b|\bdos\b|\bddos\b|\bflood\w*/, 'denial_of_service'],
  [/\bscan(ning|ned|s)?\b|\bsweep\b|\benumerat\w*|\breconnaissance\b/, 'reconnaissance'],
  [/\bpolicy violation\b|\bviolat\w*|\bunauthori[sz]ed\b|\bnot allowed\b|\bforbidden\b/, 'policy_violation'],
  [/\banomal\w*|\bunusual\b|\bdeviation\b|\bbaseline\b|\bunexpected\b/, 'anomaly'],
  [/\bvulnerab\w*|\bcve-\d{4}-\d+\b/, 'vulnerability'],
];

const MODE_IN_TEXT =
  /\b(?:to|into|in|set|entered|entering|switched to|changed to|went to) (stop|run|program|remote|test)(?: mode| state)?\b|\b(stop|halt|start|restart|reset|reboot)(?:ped|ed)? (?:command|request|cpu|plc|controller|the)\b|\b(?:cpu|plc|controller|rtu) (stop|stopped|halt|halted|start|started|restart|reset|reboot)\b|\b(cold|warm) (?:re)?start\b/;

function firstMatch<T>(table: ReadonlyArray<readonly [RegExp, T]>, text: string): T | undefined {
  for (const [pattern, value] of table) if (pattern.test(text)) return value;
  return undefined;
}

function modeInText(text: string): ControllerMode | undefined {
  const match = MODE_IN_TEXT.exec(text);
  const word = match?.slice(1).find((w) => w !== undefined);
  if (word === 'cold' || word === 'warm') return 'run';
  return normalizeMode(word);
}

/** Combines a normalizer's draft with the shared derivations (see the module comment). */
export function deriveSemantics(draft: SemanticsDraft): Semantics {
  const provenance: Record<string, string> = {};
  const given = (path: string, value: unknown): boolean => {
    if (value === undefined) return false;
    provenance[path] = draft.provenance?.[path] ?? 'vendor';
    return true;
  };
  const text = (draft.text ?? [])
    .filter((t): t is string => typeof t === 'string')
    .join(' \n ')
    .toLowerCase()
    .replace(/[_]+/g, ' ');

  // Network.
  let protocol: Protocol | undefined = normalizeProtocol(draft.protocol);
  const protocolName = draft.protocol?.trim() || undefined;
  if (!given('network.protocol', protocol)) {
    protocol = protocolFromPort(draft.dstPort) ?? protocolFromPort(draft.srcPort);
    if (protocol !== undefined) provenance['network.protocol'] = 'port';
    else if (protocolName !== undefined) {
      protocol = 'other';
      provenance['network.protocol'] = 'vendor';
    } else {
      protocol = firstMatch(PROTOCOL_WORDS, text);
      if (protocol !== undefined) provenance['network.protocol'] = 'text';
    }
  }
  const resolvedProtocol: Protocol = protocol ?? 'unknown';
  const network: AlertNetwork = {
    protocol: resolvedProtocol,
    industrial: isIndustrialProtocol(resolvedProtocol),
    safety: isSafetyProtocol(resolvedProtocol),
  };
  if (protocolName !== undefined) network.protocolName = protocolName;
  if (given('network.transport', draft.transport)) network.transport = draft.transport;
  if (given('network.srcPort', draft.srcPort)) network.srcPort = draft.srcPort;
  if (given('network.dstPort', draft.dstPort)) network.dstPort = draft.dstPort;
  if (given('network.direction', draft.direction)) network.direction = draft.direction;

  // ATT&CK.
  const explicitAttacks = mergeAttacks(draft.attacks ?? []);
  if (explicitAttacks.length > 0) given('attacks', explicitAttacks);
  const attacks =
    explicitAttacks.length > 0 ? explicitAttacks : mergeAttacks(techniqueIdsIn(text).map((id) => attackRef(id)));
  if (explicitAttacks.length === 0 && attacks.length > 0) provenance['attacks'] = 'text';

  // OT operation.
  const functionCode = draft.functionCode === undefined ? undefined : String(draft.functionCode).trim() || undefined;
  const code = functionCode === undefined ? undefined : functionCodeNumber(functionCode);
  let operation = draft.operation;
  if (!given('ot.operation', operation)) {
    operation = operationFromAttacks(attacks);
    if (operation !== undefined) provenance['ot.operation'] = 'attacks';
  }
  if (operation === undefined && code !== undefined) {
    operation = FUNCTION_CODES[resolvedProtocol]?.[code];
    if (operation !== undefined) provenance['ot.operation'] = 'function-code';
  }
  if (operation === undefined) {
    operation = firstMatch(OPERATION_WORDS, `${functionCode?.toLowerCase().replace(/_/g, ' ') ?? ''} \n ${text}`);
    if (operation !== undefined) provenance['ot.operation'] = 'text';
  }
  const ot: AlertOt = { operation: operation ?? 'unknown' };
  if (functionCode !== undefined) {
    ot.functionCode = functionCode;
    provenance['ot.functionCode'] ??= draft.provenance?.['ot.functionCode'] ?? 'vendor';
  }
  if (ot.operation === 'mode_change') {
    let mode = draft.mode;
    if (!given('ot.mode', mode) && code !== undefined) {
      mode = FUNCTION_MODES[resolvedProtocol]?.[code];
      if (mode !== undefined) provenance['ot.mode'] = 'function-code';
    }
    if (mode === undefined) {
      mode = modeInText(`${functionCode?.toLowerCase().replace(/_/g, ' ') ?? ''} \n ${text}`);
      if (mode !== undefined) provenance['ot.mode'] = 'text';
    }
    ot.mode = mode ?? 'unknown';
  }

  // Category.
  let category = draft.category;
  if (!given('category', category)) {
    category = categoryFromAttacks(attacks);
    if (category !== undefined) provenance['category'] = 'attacks';
  }
  if (category === undefined) {
    category = firstMatch(CATEGORY_WORDS, text);
    if (category !== undefined) provenance['category'] = 'text';
  }
  return { network, ot, attacks, category: category ?? 'unknown', provenance };
}
