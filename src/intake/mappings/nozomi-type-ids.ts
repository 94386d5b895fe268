/**
 * Nozomi Networks (Guardian / Vantage / CMC) alert type IDs → meaning.
 *
 * Nozomi's own guidance: the type ID "is the strict identifier for an alert type. Use this field
 * to setup integrations" (technicaldocs.nozominetworks.com, N2OS "Alerts" reference). An alert
 * record carries the type ID but not what it means for an OT playbook, so the meaning of the
 * types we could confirm is kept here. Only type IDs seen in Nozomi's documentation or in
 * integrations built against Nozomi's API are listed, each with where it was seen:
 *
 * - [n2os-cef]  N2OS "Data integration" docs, CEF alert events and custom fields (examples
 *               SIGN:MALWARE-DETECTED, SIGN:MULTIPLE-UNSUCCESSFUL-LOGINS).
 * - [ivanti]    Ivanti "Event Types supported by Nozomi Networks" (type ID, name, definition,
 *               copied from the N2OS alert reference).
 * - [elastic]   elastic/integrations packages/nozomi_networks (alert test data, N2OS 25.0).
 * - [xsoar]     demisto/content Packs/NozomiNetworks (test data from the N2OS alerts API).
 * - [stix]      opencybersecurityalliance/stix-shifter nozomi module (Vantage alert samples).
 * - [fixture]   this repository's shared Nozomi sample (test/intake/fixtures/nozomi.json).
 *
 * Learned-behaviour types (VI:…) set no operation when the alert may say more precisely what
 * was done: a "new function code" is a write or a read according to the function code, which
 * the normalizer reads from the description (semantics.ts then derives the operation).
 *
 * Unlisted type IDs (and an unknown N2OS version's new ones) fall back to the shared
 * derivations: the vendor's ATT&CK techniques, the function code, then the alert's words.
 */
import type { MeaningEntry, MeaningTable } from './meaning-table';

/** Bump when an entry's meaning changes (recorded in alert.provenance). */
export const NOZOMI_TYPE_IDS_VERSION = '1';

export const NOZOMI_TYPE_IDS: Readonly<Record<string, MeaningEntry>> = {
  // [elastic] "Program change": the PLC's program was changed (online edits, project download).
  'SIGN:PROGRAM:CHANGE': { operation: 'program_download', category: 'unauthorized_change', attacks: ['T0889'] },
  // [ivanti] "Firmware change requested".
  'SIGN:FIRMWARE-CHANGE': { operation: 'firmware_update', category: 'unauthorized_change', attacks: ['T0857'] },
  // [n2os-cef] "Malware detected" (Yara rule match on transferred files).
  'SIGN:MALWARE-DETECTED': { category: 'malware' },
  // [n2os-cef] "Multiple unsuccessful logins".
  'SIGN:MULTIPLE-UNSUCCESSFUL-LOGINS': { category: 'credential_access', attacks: ['T1110'] },
  // [ivanti] "TCP SYN flood".
  'SIGN:TCP-SYN-FLOOD': { category: 'denial_of_service' },
  // [ivanti] "Man-In-the-middle attack".
  'SIGN:MAN-IN-THE-MIDDLE': { attacks: ['T0830'] },
  // [ivanti] "DHCP operation": a DHCP request from an unknown device, "sign of a new device".
  'SIGN:DHCP-OPERATION': { operation: 'new_device', category: 'anomaly' },
  // [xsoar] "Bad IP reputation (new node)": a known-malicious address appeared on the network.
  'VI:NEW-NODE:MALICIOUS-IP': { operation: 'new_device', category: 'malware' },
  // [xsoar] incident grouping a new node's alerts ("New node … appeared on the network").
  'INCIDENT:NEW-NODE': { operation: 'new_device', category: 'anomaly' },
  // Learned behaviour: "New node" (the parent type of VI:NEW-NODE:MALICIOUS-IP [xsoar]).
  'VI:NEW-NODE': { operation: 'new_device', category: 'anomaly' },
  // Learned behaviour: "New link" between two nodes.
  'VI:NEW-LINK': { operation: 'new_communication', category: 'anomaly' },
  // [fixture] "New function code": the operation comes from the function code (see above).
  'VI:NEW-FUNC-CODE': { category: 'anomaly' },
};

export const NOZOMI_TYPE_ID_TABLE: MeaningTable = {
  name: 'nozomi-type-ids',
  version: NOZOMI_TYPE_IDS_VERSION,
  entries: NOZOMI_TYPE_IDS,
  // Type IDs are upper-case in every Nozomi export; tolerate stray spaces and case.
  key: (raw) => raw.trim().toUpperCase(),
};
