/**
 * QRadar event category names (as an offense's `categories[]` lists them) → alert categories.
 * High-level categories and their low-level ones as IBM documents them ("Event categories",
 * IBM QRadar SIEM documentation: Recon 1000, DoS 2000, Authentication 3000, Access 4000,
 * Exploit 5000, Malware 6000, Suspicious Activity 7000, System 8000, Policy 9000…).
 * Matched case-insensitively; an offense's first category found here decides, low-level
 * names being more specific than high-level ones. Names that say nothing about a threat
 * (e.g. "Host Login Succeeded", "Firewall Permit") are deliberately absent.
 * Bump the version whenever an entry changes (alert.provenance records it).
 */
import type { Category } from '../../alerts/vocabulary';

export const QRADAR_CATEGORIES_VERSION = '1';
export const QRADAR_CATEGORIES_TABLE = `qradar-categories@${QRADAR_CATEGORIES_VERSION}`;

/** Low-level categories (checked first). */
export const QRADAR_LOW_LEVEL: Readonly<Record<string, Category>> = {
  // Recon (1000)
  'unknown form of recon': 'reconnaissance',
  'application query': 'reconnaissance',
  'host query': 'reconnaissance',
  'network sweep': 'reconnaissance',
  'mail reconnaissance': 'reconnaissance',
  'windows reconnaissance': 'reconnaissance',
  'portmap / rpc request': 'reconnaissance',
  'host port scan': 'reconnaissance',
  'rpc dump': 'reconnaissance',
  'dns reconnaissance': 'reconnaissance',
  'misc reconnaissance event': 'reconnaissance',
  'web reconnaissance': 'reconnaissance',
  // Authentication (3000)
  'host login failed': 'credential_access',
  'misc login failed': 'credential_access',
  'auth server login failed': 'credential_access',
  'web service login failed': 'credential_access',
  'mail service login failed': 'credential_access',
  'privilege escalation failed': 'privilege_escalation',
  'privilege escalation succeeded': 'privilege_escalation',
  // Malware (6000)
  'backdoor detected': 'malware',
  'virus detected': 'malware',
  'trojan detected': 'malware',
  'spyware detected': 'malware',
  'malicious software': 'malware',
  'hostile software': 'malware',
  'hostile mail attachment': 'phishing',
  keylogger: 'malware',
  'adware detected': 'malware',
  // Suspicious Activity (7000)
  'ip spoof': 'defense_evasion',
  'ids evasion': 'defense_evasion',
  'unknown evasion event': 'defense_evasion',
  'suspicious port activity': 'anomaly',
  'suspicious packet': 'anomaly',
  'potential web vulnerability': 'vulnerability',
};

/** High-level categories (checked when no low-level one is known). */
export const QRADAR_HIGH_LEVEL: Readonly<Record<string, Category>> = {
  recon: 'reconnaissance',
  dos: 'denial_of_service',
  exploit: 'initial_access',
  'potential exploit': 'initial_access',
  malware: 'malware',
  'suspicious activity': 'anomaly',
  policy: 'policy_violation',
};

/** The category of the offense's first mapped low-level category, else its first high-level one. */
export function categoryFromQRadarCategories(names: readonly string[]): Category | undefined {
  const keys = names.map((n) => n.trim().toLowerCase());
  for (const key of keys) if (Object.hasOwn(QRADAR_LOW_LEVEL, key)) return QRADAR_LOW_LEVEL[key];
  for (const key of keys) if (Object.hasOwn(QRADAR_HIGH_LEVEL, key)) return QRADAR_HIGH_LEVEL[key];
  return undefined;
}
