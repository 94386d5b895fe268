import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { InterlockConfig } from '../../src/config/schema';

/** The product's example configuration: the shared reference plus keys it adds (temporal.encryption). */
export const EXAMPLE = readFileSync(join(__dirname, '../../config/interlock.example.yaml'), 'utf8');
/** A verbatim copy of the shared reference document (/work/shared/docs/interlock.example.yaml). */
export const SHARED_EXAMPLE = readFileSync(join(__dirname, '../fixtures/config/shared-interlock.example.yaml'), 'utf8');

/** Values for every ${VAR} the reference configuration needs. */
export const EXAMPLE_ENV: Record<string, string> = {
  SPLUNK_TOKEN: 'splunk-token-0123456789',
  ELASTIC_HMAC: 'elastic-hmac-secret',
  SENTINEL_TOKEN: 's',
  WAZUH_TOKEN: 'w',
  QRADAR_TOKEN: 'q',
  DIOT_TOKEN: 'd',
  NOZOMI_TOKEN: 'n',
  GENERIC_TOKEN: 'g',
  ALICE_KEY: 'alice-key-0123456789abcdef',
  OMAR_KEY: 'omar-key-0123456789abcdef',
  GRACE_KEY: 'grace-key-0123456789abcdef',
  VICTOR_KEY: 'victor-key-0123456789abcdef',
  CROWDSTRIKE_URL: 'http://127.0.0.1:9001',
  CROWDSTRIKE_CLIENT_ID: 'cid',
  CROWDSTRIKE_CLIENT_SECRET: 'csecret',
  FORTIGATE_URL: 'http://127.0.0.1:9002',
  FORTIGATE_KEY: 'fgkey',
  OKTA_API_TOKEN: 'okta-api-token',
  JIRA_API_TOKEN: 'jira-api-token',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'slack-signing',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: '2525',
  TEMPORAL_ENCRYPTION_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
};

export function exampleConfig(): InterlockConfig {
  return parseConfig(EXAMPLE, EXAMPLE_ENV);
}
