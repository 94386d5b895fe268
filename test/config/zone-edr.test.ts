/**
 * `zones[].edr`, the EDR connector of a zone's hosts that name none: it must be a registered EDR
 * connector, and — when the configuration has integrations at all — a configured one, or every
 * containment in that zone would fail at run time.
 */
import { ConfigError, parseConfig } from '../../src/config/load';

const base = (zoneEdr: string, integrations: string) => `
zones:
  - { id: corp, purdueLevel: 4, mode: auto, cidrs: [10.30.0.0/16], edr: ${zoneEdr} }
${integrations}`;

const SENTINELONE = `integrations:
  sentinelone: { baseUrl: https://usea1-acme.sentinelone.net, apiToken: test-token }
`;
const CROWDSTRIKE = `integrations:
  crowdstrike: { baseUrl: https://api.crowdstrike.com, clientId: id, clientSecret: secret }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, {});
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('zones[].edr', () => {
  it('accepts a configured EDR connector', () => {
    expect(problems(base('sentinelone', SENTINELONE))).toEqual([]);
    expect(parseConfig(base('sentinelone', SENTINELONE), {}).zones[0]?.edr).toBe('sentinelone');
  });

  it('refuses a name that is not an EDR connector, listing the EDR connectors', () => {
    expect(problems(base('carbon-black', SENTINELONE))).toEqual([
      'zones.0.edr: unknown EDR connector "carbon-black" (EDR connectors: crowdstrike, defender-endpoint, sentinelone)',
    ]);
    expect(problems(base('fortigate', SENTINELONE))[0]).toMatch(/unknown EDR connector "fortigate"/);
  });

  it('refuses an EDR connector that is not configured when integrations are', () => {
    expect(problems(base('defender-endpoint', CROWDSTRIKE))).toEqual([
      'zones.0.edr: EDR connector "defender-endpoint" is not configured: add integrations.defender-endpoint (configured EDR connectors: crowdstrike)',
    ]);
  });

  it('accepts it in a configuration without integrations (playbook checks, dry runs)', () => {
    expect(problems(base('defender-endpoint', ''))).toEqual([]);
  });
});
