import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { checkPlaybookConnectors } from '../../src/playbooks/connector-check';
import { loadPlaybooks } from '../../src/playbooks/loader';
import { playbookSchema, type Playbook } from '../../src/playbooks/schema';
import { PolicyEngine } from '../../src/policy/policy-engine';
import { runnablePlaybooks } from '../../src/worker/worker';
import { EXAMPLE, EXAMPLE_ENV } from '../support/example-config';

/** The example configuration with only these integrations (and optionally changed zones). */
function configWith(integrations: Record<string, unknown>, zones?: (zones: Record<string, unknown>[]) => void) {
  const raw = JSON.parse(JSON.stringify(parseConfig(EXAMPLE, EXAMPLE_ENV))) as Record<string, unknown> & {
    zones: Record<string, unknown>[];
  };
  zones?.(raw.zones);
  return parseConfig(JSON.stringify({ ...raw, integrations }), {});
}

const okta = { baseUrl: 'http://127.0.0.1:9', apiToken: 'okta-token' };
const crowdstrike = { baseUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 's' };
const jira = { baseUrl: 'http://127.0.0.1:9', email: 'a@b.c', apiToken: 't', projectKey: 'SEC' };

function playbook(steps: unknown[]): Playbook {
  return playbookSchema.parse({ id: 'p', name: 'P', version: 1, triggers: [{ when: 'true' }], steps });
}

let shipped: Playbook[];
beforeAll(async () => {
  shipped = await loadPlaybooks(join(__dirname, '..', '..', 'playbooks'));
});

describe('playbooks against the configured connectors (startup)', () => {
  it('refuses a playbook whose step the policy could run without a connector, naming the step', () => {
    const config = configWith({ crowdstrike });
    const check = checkPlaybookConnectors(shipped, config, new PolicyEngine(config));
    const s1 = check.refused.filter((f) => f.playbookId === 's1-ransomware-office-laptop');
    expect(s1).toEqual([
      expect.objectContaining({ stepId: 'disable-account', path: 'steps.1', action: 'identity.disable_account' }),
    ]);
    expect(s1[0]?.message).toContain('step "disable-account"');
    expect(check.runnable.map((p) => p.id)).not.toContain('s1-ransomware-office-laptop');
  });

  it('loads it once every connector it needs is configured', () => {
    const config = configWith({ crowdstrike, okta, jira });
    const check = checkPlaybookConnectors(shipped, config, new PolicyEngine(config));
    expect(check.refused.filter((f) => f.playbookId === 's1-ransomware-office-laptop')).toEqual([]);
    expect(check.runnable.map((p) => p.id)).toContain('s1-ransomware-office-laptop');
  });

  it('only warns when the policy never runs the step (rule 4 everywhere, or refused)', () => {
    // A controller restart is only ever a task on levels 0-2; with no zone above level 2 in an
    // executing mode, the policy never runs it, so a missing ticketing connector is harmless.
    const config = configWith({}, (zones) => {
      for (const zone of zones) if (Number(zone['purdueLevel']) >= 3) zone['mode'] = 'recommend';
    });
    const check = checkPlaybookConnectors(
      [playbook([{ id: 'restart', action: 'ot.restart_device', target: '{{ alert.hosts[0].ip }}' }])],
      config,
      new PolicyEngine(config),
    );
    expect(check.refused).toEqual([]);
    expect(check.warnings).toEqual([expect.objectContaining({ stepId: 'restart', action: 'ot.restart_device' })]);
    expect(check.runnable).toHaveLength(1);
    // A literal target on the safety system is always refused (rule 5): a warning, not a refusal.
    const sis = checkPlaybookConnectors(
      [playbook([{ id: 'isolate-sis', action: 'edr.contain_host', target: 'sis-1' }])],
      config,
      new PolicyEngine(config),
    );
    expect(sis.refused).toEqual([]);
    expect(sis.warnings.map((w) => w.stepId)).toEqual(['isolate-sis']);
  });

  it('a step naming a connector needs that one configured', () => {
    const config = configWith({ crowdstrike });
    const named = playbook([
      { id: 'isolate', action: 'edr.contain_host', target: '{{ alert.hosts[0].ip }}', params: { connector: 'okta' } },
    ]);
    expect(checkPlaybookConnectors([named], config, new PolicyEngine(config)).refused.map((f) => f.stepId)).toEqual([
      'isolate',
    ]);
  });

  it('the worker loads what the check allows, or everything with playbooks.missingConnector: warn', () => {
    const logged: string[] = [];
    const log = {
      warn: (_: object, m: string) => logged.push(`warn ${m}`),
      error: (_: object, m: string) => logged.push(`error ${m}`),
    };
    const strict = configWith({ crowdstrike });
    const loaded = runnablePlaybooks(shipped, strict, new PolicyEngine(strict), log as never);
    expect(loaded.map((p) => p.id)).not.toContain('s1-ransomware-office-laptop');
    expect(logged.some((l) => l.startsWith('error') && l.includes('"disable-account"'))).toBe(true);
    const lenient = { ...strict, playbooks: { ...strict.playbooks, missingConnector: 'warn' as const } };
    logged.length = 0;
    expect(runnablePlaybooks(shipped, lenient, new PolicyEngine(lenient), log as never)).toHaveLength(shipped.length);
    expect(logged.every((l) => l.startsWith('warn'))).toBe(true);
  });
});
