/**
 * Microsoft Defender for IoT (OT sensor) alert titles → meaning.
 *
 * A sensor alert names its detection by title and engine only (sensor alert API
 * /api/v1/alerts: no type ID, no ATT&CK field). Microsoft's "Defender for IoT alert reference"
 * (learn.microsoft.com/azure/defender-for-iot/organizations/alert-engine-messages; source
 * MicrosoftDocs/azure-docs articles/defender-for-iot/organizations/alert-engine-messages.md,
 * ms.date 11/23/2022) lists every title per engine with its category and "MITRE ATT&CK tactics
 * and techniques". `attacks` below are those techniques, in the reference's order.
 * `operation`, `mode` and `category` are this table's reading of the title, category and
 * description; they are set explicitly because the techniques alone mislead (the reference
 * lists T0843 Program Download first for "Controller Stop", T0839 Module Firmware first for
 * "Unauthorized PLC Programming").
 *
 * Titles are matched case-insensitively, without the reference's "[*]" marker (alerts turned
 * off by default). Unlisted titles fall back to the engine's category and the shared
 * derivations (semantics.ts).
 */
import type { MeaningEntry, MeaningTable } from './meaning-table';

/** Bump when an entry's meaning changes (recorded in alert.provenance). */
export const DEFENDER_IOT_TITLES_VERSION = '1';

const FIRMWARE: MeaningEntry = { operation: 'firmware_update', category: 'unauthorized_change', attacks: ['T0857'] };
const STOP: MeaningEntry = {
  operation: 'mode_change',
  mode: 'stop',
  category: 'impact',
  attacks: ['T0843', 'T0858', 'T0814'],
};
const SCAN: MeaningEntry = { operation: 'scan', category: 'reconnaissance', attacks: ['T0842'] };
const NEW_DEVICE: MeaningEntry = { operation: 'new_device', category: 'policy_violation', attacks: ['T0842'] };
const INTERNET: MeaningEntry = { operation: 'new_communication', category: 'policy_violation', attacks: ['T0883'] };

/** Keys are the reference's titles; lookups lower-case both sides. */
const TITLES: Readonly<Record<string, MeaningEntry>> = {
  // Policy engine — programming ("Programming" / "Configuration Changes" categories).
  'Unauthorized PLC Programming': {
    operation: 'program_download',
    category: 'unauthorized_change',
    attacks: ['T0839', 'T0889', 'T0843'],
  },
  'Unauthorized PLC Program Upload': {
    operation: 'program_upload',
    category: 'policy_violation',
    attacks: ['T0839', 'T0845'],
  },
  'Unauthorized PLC Configuration Write': {
    operation: 'config_change',
    category: 'unauthorized_change',
    attacks: ['T0839', 'T0831', 'T0889'],
  },
  'Unauthorized PLC Configuration Read': { operation: 'read', category: 'policy_violation', attacks: ['T0801'] },
  // Firmware ("Firmware Change" category, policy and protocol engines).
  'Firmware Change Detected': FIRMWARE,
  'Firmware Version Changed': FIRMWARE,
  'Firmware Update': FIRMWARE,
  'S7 Plus PLC Firmware Changed': FIRMWARE,
  'Beckhoff Software Changed': FIRMWARE,
  'Emerson ROC Firmware Version Changed': FIRMWARE,
  'Honeywell Firmware Version Changed': FIRMWARE,
  'Mitsubishi Firmware Version Changed': FIRMWARE,
  'Modbus Firmware Version Changed': FIRMWARE,
  // New devices ("Discovery" category).
  'New Asset Detected': NEW_DEVICE,
  'Field Device Discovered Unexpectedly': NEW_DEVICE,
  'New LLDP Device Configuration': NEW_DEVICE,
  'New Port Discovery': { operation: 'new_communication', category: 'policy_violation', attacks: ['T0867'] },
  // Internet access ("Internet Access" category).
  'Unauthorized Internet Connectivity Detected': INTERNET,
  'Internet Access Detected': INTERNET,
  'External address within the network communicated with Internet': INTERNET,
  // Anomaly engine — scans ("Scan" category) and brute force ("Authentication").
  'Address Scan Detected': SCAN,
  'Long Duration Address Scan Detected': SCAN,
  'Port Scan Detected': SCAN,
  'PLC Scan Detected': SCAN,
  'ARP Address Scan Detected': { operation: 'scan', category: 'reconnaissance', attacks: ['T0842', 'T0830'] },
  'Suspicion of Illegal Integrity Scan': SCAN,
  'Excessive Login Attempts': { category: 'credential_access', attacks: ['T0812', 'T0806'] },
  'Password Guessing Attempt Detected': { category: 'credential_access', attacks: ['T0812', 'T0806'] },
  'Excessive SMB login attempts': { category: 'credential_access', attacks: ['T0812', 'T0853', 'T0859'] },
  // Protocol violation engine.
  'Modbus Exception': { category: 'anomaly', attacks: ['T0814'] },
  // Operational engine — stop, reset and restart ("Restart/ Stop Commands" category).
  'An S7 Stop PLC Command was Sent': STOP,
  'GE SRTP Stop PLC Command was Sent': STOP,
  'Controller Stop': STOP,
  'Controller Reset': { operation: 'mode_change', mode: 'reset', category: 'impact', attacks: ['T0858', 'T0814'] },
  'Profinet Device Factory Reset': {
    operation: 'mode_change',
    mode: 'reset',
    category: 'impact',
    attacks: ['T0858', 'T0814'],
  },
  'Outstation Restarted': { operation: 'mode_change', mode: 'reset', category: 'operational', attacks: ['T0816'] },
  "Outstation's Configuration Changed": { operation: 'config_change', category: 'unauthorized_change' },
  'Change of Device Configuration': { operation: 'config_change', category: 'unauthorized_change', attacks: ['T0836'] },
  // Malware engine ("Suspicion of Malware" / "Suspicion of Malicious Activity").
  'Suspicion of Malicious Activity (WannaCry)': { category: 'ransomware', attacks: ['T0866', 'T0867'] },
  'Suspicion of NotPetya Malware - Illegal SMB Parameters Detected': { category: 'malware', attacks: ['T0866'] },
  'Suspicion of NotPetya Malware - Illegal SMB Transaction Detected': { category: 'malware', attacks: ['T0867'] },
  'Suspicion of Malicious Activity (Stuxnet)': { category: 'malware', attacks: ['T0866', 'T0831'] },
  'Suspicion of Malicious Activity (Havex)': { category: 'malware', attacks: ['T0861', 'T0846', 'T0814'] },
  'Suspicion of Malicious Activity (BlackEnergy)': { category: 'malware', attacks: ['T0869'] },
  'Suspicion of Conficker Malware': { category: 'malware', attacks: ['T0826', 'T0828', 'T0847'] },
  'Invalid SMB Message (DoublePulsar Backdoor Implant)': { category: 'malware', attacks: ['T0866'] },
  'Suspicion of Malicious Activity': { category: 'malware', attacks: ['T0867'] },
  'Connection Attempt to Known Malicious IP': { category: 'command_and_control', attacks: ['T0883', 'T0884'] },
  'Malicious Domain Name Request': { category: 'command_and_control', attacks: ['T0883', 'T0884'] },
  'Suspicion of Remote Code Execution with PsExec': { category: 'lateral_movement', attacks: ['T0866'] },
  'Suspicion of Denial Of Service Attack': { category: 'denial_of_service', attacks: ['T0814'] },
};

const titleKey = (raw: string) =>
  raw
    .replace(/\[\*\]|\*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

export const DEFENDER_IOT_TITLES: Readonly<Record<string, MeaningEntry>> = Object.fromEntries(
  Object.entries(TITLES).map(([title, entry]) => [titleKey(title), entry]),
);

/** The reference's titles as written there (for documentation and tests). */
export const DEFENDER_IOT_TITLE_NAMES: readonly string[] = Object.keys(TITLES);

export const DEFENDER_IOT_TITLE_TABLE: MeaningTable = {
  name: 'defender-iot-titles',
  version: DEFENDER_IOT_TITLES_VERSION,
  entries: DEFENDER_IOT_TITLES,
  key: titleKey,
};

/**
 * The engine an alert comes from, per the alert reference's "Supported alert types", to the
 * category it implies when the title is not in the table.
 */
const ENGINE_CATEGORIES: Readonly<Record<string, MeaningEntry['category']>> = {
  'policy violation': 'policy_violation',
  'protocol violation': 'anomaly',
  malware: 'malware',
  anomaly: 'anomaly',
  operational: 'operational',
};

export function categoryOfEngine(engine: string | undefined | null): MeaningEntry['category'] {
  if (engine === undefined || engine === null) return undefined;
  return ENGINE_CATEGORIES[engine.trim().toLowerCase().replace(/\s+/g, ' ')];
}
