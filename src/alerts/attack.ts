/**
 * MITRE ATT&CK references in alerts: technique IDs normalized (`t0843` → `T0843`), the matrix
 * told from the ID (T08xx is ATT&CK for ICS, T1xxx Enterprise), names filled in from a table
 * when the vendor gives only the ID, and what a technique says about the alert's category and
 * OT operation. Names follow ATT&CK v16 (ICS v16, Enterprise v16).
 *
 * WORKFLOW-SAFE: pure data and functions.
 */
import type { Category, OtOperation } from './vocabulary';

export const ATTACK_VERSION = '16';

export interface AttackRef {
  technique: { uid: string; name?: string };
  /** Sub-technique when the vendor reported one (e.g. T1021.001: technique T1021). */
  subTechnique?: { uid: string; name?: string };
  tactics?: { uid?: string; name?: string }[];
  matrix: 'ics' | 'enterprise';
}

/** ATT&CK for ICS techniques (all of the matrix). */
const ICS_TECHNIQUES: Readonly<Record<string, string>> = {
  T0800: 'Activate Firmware Update Mode',
  T0801: 'Monitor Process State',
  T0802: 'Automated Collection',
  T0803: 'Block Command Message',
  T0804: 'Block Reporting Message',
  T0805: 'Block Serial COM',
  T0806: 'Brute Force I/O',
  T0807: 'Command-Line Interface',
  T0809: 'Data Destruction',
  T0811: 'Data from Information Repositories',
  T0812: 'Default Credentials',
  T0813: 'Denial of Control',
  T0814: 'Denial of Service',
  T0815: 'Denial of View',
  T0816: 'Device Restart/Shutdown',
  T0817: 'Drive-by Compromise',
  T0819: 'Exploit Public-Facing Application',
  T0820: 'Exploitation for Evasion',
  T0821: 'Modify Controller Tasking',
  T0822: 'External Remote Services',
  T0823: 'Graphical User Interface',
  T0826: 'Loss of Availability',
  T0827: 'Loss of Control',
  T0828: 'Loss of Productivity and Revenue',
  T0829: 'Loss of View',
  T0830: 'Adversary-in-the-Middle',
  T0831: 'Manipulation of Control',
  T0832: 'Manipulation of View',
  T0833: 'Modify Control Logic',
  T0834: 'Native API',
  T0835: 'Manipulate I/O Image',
  T0836: 'Modify Parameter',
  T0837: 'Loss of Protection',
  T0838: 'Modify Alarm Settings',
  T0839: 'Module Firmware',
  T0840: 'Network Connection Enumeration',
  T0842: 'Network Sniffing',
  T0843: 'Program Download',
  T0845: 'Program Upload',
  T0846: 'Remote System Discovery',
  T0847: 'Replication Through Removable Media',
  T0848: 'Rogue Master',
  T0849: 'Masquerading',
  T0851: 'Rootkit',
  T0852: 'Screen Capture',
  T0853: 'Scripting',
  T0855: 'Unauthorized Command Message',
  T0856: 'Spoof Reporting Message',
  T0857: 'System Firmware',
  T0858: 'Change Operating Mode',
  T0859: 'Valid Accounts',
  T0860: 'Wireless Compromise',
  T0861: 'Point & Tag Identification',
  T0862: 'Supply Chain Compromise',
  T0863: 'User Execution',
  T0864: 'Transient Cyber Asset',
  T0865: 'Spearphishing Attachment',
  T0866: 'Exploitation of Remote Services',
  T0867: 'Lateral Tool Transfer',
  T0868: 'Detect Operating Mode',
  T0869: 'Standard Application Layer Protocol',
  T0871: 'Execution through API',
  T0872: 'Indicator Removal on Host',
  T0873: 'Project File Infection',
  T0874: 'Hooking',
  T0877: 'I/O Module Discovery',
  T0878: 'Alarm Suppression',
  T0879: 'Damage to Property',
  T0880: 'Loss of Safety',
  T0881: 'Service Stop',
  T0882: 'Theft of Operational Information',
  T0883: 'Internet Accessible Device',
  T0884: 'Connection Proxy',
  T0885: 'Commonly Used Port',
  T0886: 'Remote Services',
  T0887: 'Wireless Sniffing',
  T0888: 'Remote System Information Discovery',
  T0889: 'Modify Program',
  T0890: 'Exploitation for Privilege Escalation',
  T0891: 'Hardcoded Credentials',
  T0892: 'Change Credential',
  T0893: 'Data from Local System',
  T0894: 'System Binary Proxy Execution',
};

/** Enterprise techniques SOC detections commonly carry (names for IDs sent without one). */
const ENTERPRISE_TECHNIQUES: Readonly<Record<string, string>> = {
  T1003: 'OS Credential Dumping',
  T1018: 'Remote System Discovery',
  T1021: 'Remote Services',
  T1027: 'Obfuscated Files or Information',
  T1036: 'Masquerading',
  T1040: 'Network Sniffing',
  T1041: 'Exfiltration Over C2 Channel',
  T1046: 'Network Service Discovery',
  T1047: 'Windows Management Instrumentation',
  T1048: 'Exfiltration Over Alternative Protocol',
  T1053: 'Scheduled Task/Job',
  T1055: 'Process Injection',
  T1059: 'Command and Scripting Interpreter',
  T1068: 'Exploitation for Privilege Escalation',
  T1070: 'Indicator Removal',
  T1071: 'Application Layer Protocol',
  T1078: 'Valid Accounts',
  T1090: 'Proxy',
  T1098: 'Account Manipulation',
  T1105: 'Ingress Tool Transfer',
  T1110: 'Brute Force',
  T1133: 'External Remote Services',
  T1136: 'Create Account',
  T1190: 'Exploit Public-Facing Application',
  T1204: 'User Execution',
  T1210: 'Exploitation of Remote Services',
  T1219: 'Remote Access Software',
  T1485: 'Data Destruction',
  T1486: 'Data Encrypted for Impact',
  T1489: 'Service Stop',
  T1490: 'Inhibit System Recovery',
  T1498: 'Network Denial of Service',
  T1499: 'Endpoint Denial of Service',
  T1529: 'System Shutdown/Reboot',
  T1547: 'Boot or Logon Autostart Execution',
  T1550: 'Use Alternate Authentication Material',
  T1552: 'Unsecured Credentials',
  T1555: 'Credentials from Password Stores',
  T1557: 'Adversary-in-the-Middle',
  T1558: 'Steal or Forge Kerberos Tickets',
  T1561: 'Disk Wipe',
  T1562: 'Impair Defenses',
  T1566: 'Phishing',
  T1567: 'Exfiltration Over Web Service',
  T1569: 'System Services',
  T1570: 'Lateral Tool Transfer',
  T1571: 'Non-Standard Port',
  T1572: 'Protocol Tunneling',
  T1595: 'Active Scanning',
};

const TACTICS: Readonly<Record<string, string>> = {
  TA0001: 'Initial Access',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0009: 'Collection',
  TA0010: 'Exfiltration',
  TA0011: 'Command and Control',
  TA0040: 'Impact',
  TA0042: 'Resource Development',
  TA0043: 'Reconnaissance',
  TA0100: 'Collection',
  TA0101: 'Command and Control',
  TA0102: 'Discovery',
  TA0103: 'Evasion',
  TA0104: 'Execution',
  TA0105: 'Impact',
  TA0106: 'Impair Process Control',
  TA0107: 'Inhibit Response Function',
  TA0108: 'Initial Access',
  TA0109: 'Lateral Movement',
  TA0110: 'Persistence',
  TA0111: 'Privilege Escalation',
};

const TECHNIQUE_ID = /^T(\d{4})(?:[./](\d{3}))?$/i;
const TECHNIQUE_IN_TEXT = /\bT(0\d{3}|1\d{3})(?:\.(\d{3}))?\b/gi;

/**
 * An ATT&CK reference from a vendor's technique ID (and name when it gives one), or undefined
 * when the ID is not one. `T1021.001` gives technique T1021 and sub-technique T1021.001.
 */
export function attackRef(
  id: string,
  name?: string | null,
  tactics?: { uid?: string; name?: string }[],
): AttackRef | undefined {
  const match = TECHNIQUE_ID.exec(id.trim());
  if (match === null) return undefined;
  const base = `T${match[1]}`;
  const matrix = base.startsWith('T0') ? 'ics' : 'enterprise';
  const known = (matrix === 'ics' ? ICS_TECHNIQUES : ENTERPRISE_TECHNIQUES)[base];
  const given = name?.trim() || undefined;
  const ref: AttackRef = { technique: { uid: base }, matrix };
  if (match[2] === undefined) {
    const techniqueName = given ?? known;
    if (techniqueName !== undefined) ref.technique.name = techniqueName;
  } else {
    if (known !== undefined) ref.technique.name = known;
    ref.subTechnique = { uid: `${base}.${match[2]}` };
    if (given !== undefined) ref.subTechnique.name = given;
  }
  const cleanTactics = (tactics ?? []).map(tacticRef).filter((t) => t !== undefined);
  if (cleanTactics.length > 0) ref.tactics = cleanTactics;
  return ref;
}

/** A tactic by ID and/or name; the name is filled from the ID when missing. */
export function tacticRef(tactic: {
  uid?: string | null;
  name?: string | null;
}): { uid?: string; name?: string } | undefined {
  const uid = tactic.uid?.trim().toUpperCase() || undefined;
  const name = tactic.name?.trim() || (uid === undefined ? undefined : TACTICS[uid]);
  if (uid === undefined && name === undefined) return undefined;
  return { ...(uid === undefined ? {} : { uid }), ...(name === undefined ? {} : { name }) };
}

/** The technique IDs written in a piece of text (e.g. "MITRE T0843, T0858"), in order. */
export function techniqueIdsIn(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(TECHNIQUE_IN_TEXT)) {
    const id = match[2] === undefined ? `T${match[1]}` : `T${match[1]}.${match[2]}`;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The technique ID whose name is exactly this (case-insensitive), in either matrix. */
export function techniqueIdByName(name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  for (const table of [ICS_TECHNIQUES, ENTERPRISE_TECHNIQUES]) {
    for (const [id, known] of Object.entries(table)) if (known.toLowerCase() === wanted) return id;
  }
  return undefined;
}

/** Merges references to the same (sub-)technique, keeping the first and the union of tactics. */
export function mergeAttacks(list: readonly (AttackRef | undefined)[]): AttackRef[] {
  const out: AttackRef[] = [];
  for (const ref of list) {
    if (ref === undefined) continue;
    const key = ref.subTechnique?.uid ?? ref.technique.uid;
    const known = out.find((o) => (o.subTechnique?.uid ?? o.technique.uid) === key);
    if (known === undefined) {
      out.push(structuredCloneRef(ref));
      continue;
    }
    known.technique.name ??= ref.technique.name;
    for (const tactic of ref.tactics ?? []) {
      known.tactics ??= [];
      if (!known.tactics.some((t) => (t.uid ?? t.name) === (tactic.uid ?? tactic.name))) known.tactics.push(tactic);
    }
  }
  return out;
}

function structuredCloneRef(ref: AttackRef): AttackRef {
  return {
    technique: { ...ref.technique },
    ...(ref.subTechnique === undefined ? {} : { subTechnique: { ...ref.subTechnique } }),
    ...(ref.tactics === undefined ? {} : { tactics: ref.tactics.map((t) => ({ ...t })) }),
    matrix: ref.matrix,
  };
}

/** What a technique tells about the OT operation, when it tells anything. */
const OPERATION_BY_TECHNIQUE: Readonly<Record<string, OtOperation>> = {
  T0843: 'program_download',
  T0889: 'program_download',
  T0833: 'program_download',
  T0821: 'program_download',
  T0845: 'program_upload',
  T0858: 'mode_change',
  T0857: 'firmware_update',
  T0839: 'firmware_update',
  T0800: 'firmware_update',
  T0836: 'write',
  T0831: 'write',
  T0806: 'write',
  T0855: 'write',
  T0838: 'config_change',
  T0846: 'scan',
  T0840: 'scan',
  T0888: 'scan',
  T0877: 'scan',
  T0861: 'read',
  T0801: 'read',
};

export function operationFromAttacks(attacks: readonly AttackRef[]): OtOperation | undefined {
  for (const ref of attacks) {
    const operation = OPERATION_BY_TECHNIQUE[ref.technique.uid];
    if (operation !== undefined) return operation;
  }
  return undefined;
}

const CATEGORY_BY_TECHNIQUE: Readonly<Record<string, Category>> = {
  T1486: 'ransomware',
  T1490: 'ransomware',
  T1566: 'phishing',
  T0865: 'phishing',
  T1498: 'denial_of_service',
  T1499: 'denial_of_service',
  T0814: 'denial_of_service',
  T0843: 'unauthorized_change',
  T0889: 'unauthorized_change',
  T0833: 'unauthorized_change',
  T0858: 'unauthorized_change',
  T0836: 'unauthorized_change',
  T0857: 'unauthorized_change',
  T0839: 'unauthorized_change',
};

/** Tactic names (both matrices) to categories. */
const CATEGORY_BY_TACTIC: Readonly<Record<string, Category>> = {
  'credential access': 'credential_access',
  'lateral movement': 'lateral_movement',
  'command and control': 'command_and_control',
  exfiltration: 'exfiltration',
  discovery: 'reconnaissance',
  reconnaissance: 'reconnaissance',
  'initial access': 'initial_access',
  execution: 'execution',
  persistence: 'persistence',
  'privilege escalation': 'privilege_escalation',
  'defense evasion': 'defense_evasion',
  evasion: 'defense_evasion',
  impact: 'impact',
  'impair process control': 'unauthorized_change',
  'inhibit response function': 'impact',
  collection: 'exfiltration',
};

/** The category the alert's techniques (then their tactics) point to, if any. */
export function categoryFromAttacks(attacks: readonly AttackRef[]): Category | undefined {
  for (const ref of attacks) {
    const category = CATEGORY_BY_TECHNIQUE[ref.technique.uid];
    if (category !== undefined) return category;
  }
  for (const ref of attacks) {
    for (const tactic of ref.tactics ?? []) {
      const category = categoryFromTactic(tactic.name ?? (tactic.uid === undefined ? undefined : TACTICS[tactic.uid]));
      if (category !== undefined) return category;
    }
  }
  return undefined;
}

/** A tactic name in any common spelling ("CredentialAccess", "credential-access") to a category. */
export function categoryFromTactic(name: string | undefined): Category | undefined {
  if (name === undefined) return undefined;
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .trim()
    .toLowerCase();
  return CATEGORY_BY_TACTIC[words];
}
