/**
 * Wazuh (OSSEC) rule groups → alert categories. Group names are the ones the ruleset documents
 * (OSSEC "Rule Groups" notes, https://www.ossec.net/docs/docs/manual/notes/rule_groups.html, kept
 * by Wazuh's ruleset; `vulnerability-detector` and `sca` are Wazuh's own modules). Listed most
 * specific first: an alert's category is the first entry whose group the rule carries.
 *
 * Groups that say nothing about the threat (`ids`, `web`, `syslog`, `windows`, `authentication_success`,
 * `access_allowed`…) are deliberately absent: the alert's ATT&CK mapping or words decide then.
 * Bump the version whenever an entry changes (alert.provenance records it).
 */
import type { Category } from '../../alerts/vocabulary';

export const WAZUH_GROUPS_VERSION = '1';
export const WAZUH_GROUPS_TABLE = `wazuh-groups@${WAZUH_GROUPS_VERSION}`;

export const WAZUH_GROUP_CATEGORIES: ReadonlyArray<readonly [group: string, category: Category]> = [
  // Attack/Misuse
  ['virus', 'malware'],
  ['malware', 'malware'],
  ['rootcheck', 'malware'], // rootkit detection
  ['exploit_attempt', 'initial_access'],
  ['sql_injection', 'initial_access'],
  ['automatic_attack', 'initial_access'], // worm (non-targeted attack)
  ['attack', 'initial_access'], // generic attack
  // Authentication control
  ['authentication_failures', 'credential_access'], // multiple failures
  ['authentication_failed', 'credential_access'],
  ['invalid_login', 'credential_access'],
  ['login_denied', 'credential_access'],
  ['adduser', 'persistence'], // account added (ATT&CK T1136 Create Account)
  ['account_changed', 'persistence'],
  // Reconnaissance
  ['web_scan', 'reconnaissance'],
  ['recon', 'reconnaissance'],
  ['connection_attempt', 'reconnaissance'],
  // System monitor
  ['logs_cleared', 'defense_evasion'],
  ['policy_changed', 'unauthorized_change'],
  ['config_changed', 'unauthorized_change'],
  ['syscheck', 'unauthorized_change'], // file integrity monitoring: a monitored file changed
  ['vulnerability-detector', 'vulnerability'],
  ['sca', 'policy_violation'], // security configuration assessment failed check
  // Access control
  ['invalid_access', 'policy_violation'],
  ['access_denied', 'policy_violation'],
  ['firewall_drop', 'policy_violation'],
  ['multiple_drops', 'policy_violation'],
  // Network control
  ['new_host', 'anomaly'],
  ['ip_spoof', 'anomaly'],
  ['system_shutdown', 'operational'],
  ['service_availability', 'operational'],
];

/** The category of the first table entry among the rule's groups, or undefined. */
export function categoryFromWazuhGroups(groups: readonly string[]): Category | undefined {
  const given = new Set(groups.map((g) => g.trim().toLowerCase()));
  return WAZUH_GROUP_CATEGORIES.find(([group]) => given.has(group))?.[1];
}
