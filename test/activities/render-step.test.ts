import { renderStep } from '../../src/activities/decision-activities';
import { playbookSchema } from '../../src/playbooks/schema';
import { buildAlert } from '../playbooks/sample-alerts';

function stepOf(action: string, target: string, params: Record<string, unknown>) {
  const playbook = playbookSchema.parse({
    id: 'p',
    name: 'P',
    version: 1,
    triggers: [{ when: 'true' }],
    steps: [{ id: 's', action, target, params }],
  });
  return playbook.steps[0]!;
}

const vars = (alert = buildAlert({ src: { ip: '10.30.5.42' }, dst: { hostname: 'plc-7' } })) => ({
  alert,
  incident: { id: 'inc-1' },
  steps: {},
});

describe('a step rendered for its decision', () => {
  it('gives the action with its rendered parameters when they are what the action takes', () => {
    const rendered = renderStep(stepOf('firewall.quarantine_ip', 'plc-7', { ip: '{{ alert.src.ip }}' }), vars());
    expect(rendered).toEqual({
      kind: 'action',
      action: { type: 'firewall.quarantine_ip', target: 'plc-7', params: { ip: '10.30.5.42' } },
    });
  });

  it('is invalid, never decided, when a rendered parameter is not what the action takes', () => {
    const alert = buildAlert({ src: { hostname: 'not-an-address' }, dst: { hostname: 'plc-7' } });
    const rendered = renderStep(
      stepOf('firewall.quarantine_ip', 'plc-7', { ip: '{{ alert.src.?ip.orValue(alert.src.hostname) }}' }),
      vars(alert),
    );
    expect(rendered).toEqual({
      kind: 'invalid',
      message: 'invalid parameters for firewall.quarantine_ip: params.ip: expected an IPv4 or IPv6 address',
    });
  });
});
