import { parse as parseYaml } from 'yaml';
import { playbookSchema, validatePlaybook, type PlaybookInput } from '../../src/playbooks/schema';

function validPlaybook(): PlaybookInput {
  return {
    id: 'test-playbook',
    name: 'Test playbook',
    version: 1,
    triggers: [{ sources: ['splunk'], minSeverity: 'high', when: 'alert.title.contains("Ransomware")' }],
    steps: [
      {
        id: 'contain-host',
        action: 'edr.contain_host',
        target: '{{ alert.hosts[0].hostname }}',
        params: { comment: 'Ransomware {{ alert.uid }}', isolationType: 'Selective', connector: 'crowdstrike' },
        if: 'size(alert.hosts) > 0',
      },
    ],
  };
}

/** Issues of an invalid document as "path: message" strings. */
function issuesOf(document: unknown): string[] {
  const result = validatePlaybook(document);
  if (result.ok) throw new Error('expected the playbook to be invalid');
  return result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('playbookSchema', () => {
  it('accepts a valid playbook and defaults onFailure to stop', () => {
    const playbook = playbookSchema.parse(validPlaybook());
    expect(playbook.steps[0]?.onFailure).toBe('stop');
    expect(playbook.steps[0]?.params).toEqual({
      comment: 'Ransomware {{ alert.uid }}',
      isolationType: 'Selective',
      connector: 'crowdstrike',
    });
  });

  it('checks params against the action’s declared parameters: names, required ones, literal values', () => {
    const step = (action: string, params: Record<string, unknown>) => ({
      ...validPlaybook(),
      steps: [{ id: 's', action, target: '{{ alert.hosts[0].hostname }}', params }],
    });
    expect(issuesOf(step('edr.contain_host', { ttl: 3600 }))).toEqual([
      'steps.0.params.ttl: not a parameter of edr.contain_host (it takes: comment, isolationType, connector)',
    ]);
    expect(issuesOf(step('contain.source', {}))).toEqual(['steps.0.params.toward: contain.source needs params.toward']);
    expect(issuesOf(step('firewall.quarantine_ip', { ip: '10.0.0.300' }))).toEqual([
      'steps.0.params.ip: expected an IPv4 or IPv6 address',
    ]);
    expect(issuesOf(step('edr.contain_host', { isolationType: 'Partial' }))[0]).toMatch(
      /^steps\.0\.params\.isolationType: /,
    );
    // A templated value is checked once rendered, before the decision (an invalid step).
    expect(validatePlaybook(step('firewall.quarantine_ip', { ip: '{{ alert.src.ip }}' })).ok).toBe(true);
  });

  it('keeps onFailure: continue', () => {
    const input = validPlaybook();
    input.steps[0] = { ...input.steps[0]!, onFailure: 'continue' };
    expect(playbookSchema.parse(input).steps[0]?.onFailure).toBe('continue');
  });

  it('rejects an action that is not in the catalog, naming the step', () => {
    const input = validPlaybook();
    input.steps[0] = { ...input.steps[0]!, action: 'plc.stop' as never };
    const [issue] = issuesOf(input);
    expect(issue).toMatch(/^steps\.0\.action: unknown action "plc\.stop" \(known: edr\.contain_host, /);
  });

  it('rejects duplicate step ids at the second occurrence', () => {
    const input = validPlaybook();
    input.steps.push({ ...input.steps[0]! });
    expect(issuesOf(input)).toEqual(['steps.1.id: duplicate step id "contain-host" (first used by steps.0)']);
  });

  it('rejects bad CEL in when, if, target and params with their field paths', () => {
    const input = validPlaybook();
    input.triggers[0] = { when: 'alert.title.contains(' };
    input.steps[0] = {
      id: 'contain-host',
      action: 'edr.contain_host',
      target: '{{ alert.hosts[0]. }}',
      params: { comment: 'x {{ alrt.uid }}' },
      if: 'size(alert.hosts) >',
    };
    const issues = issuesOf(input);
    expect(issues).toHaveLength(4);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^triggers\.0\.when: invalid CEL: /),
        expect.stringMatching(/^steps\.0\.target: invalid template: in "\{\{ alert\.hosts\[0\]\. \}\}"/),
        expect.stringMatching(/^steps\.0\.params\.comment: invalid template: .*Unknown variable: alrt/),
        expect.stringMatching(/^steps\.0\.if: invalid CEL: /),
      ]),
    );
  });

  it('rejects a condition that cannot be boolean', () => {
    const input = validPlaybook();
    input.steps[0] = { ...input.steps[0]!, if: 'size(alert.hosts)' };
    expect(issuesOf(input)).toEqual([
      'steps.0.if: invalid CEL: condition must be a boolean expression, but it returns int',
    ]);
  });

  it('rejects an approval key on a step: approvals are enforced by the engine', () => {
    const input = { ...validPlaybook(), steps: [{ ...validPlaybook().steps[0], approval: { approvers: 2 } }] };
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^steps\.0\.approval: unknown key: approvals are enforced by the engine/);
  });

  it('rejects an approval step written in YAML, whatever its shape', () => {
    const yamlStep = parseYaml(`
id: test-playbook
name: Test
version: 1
triggers: [{ when: 'true' }]
steps:
  - id: ask
    action: approval
    target: plc-7
  - id: ask-too
    approval: required
    action: edr.contain_host
    target: plc-7
`) as unknown;
    const issues = issuesOf(yamlStep);
    expect(issues).toEqual([
      expect.stringMatching(/^steps\.0\.action: unknown action "approval" .*approvals are enforced by the engine/),
      expect.stringMatching(/^steps\.1\.approval: unknown key: approvals are enforced by the engine/),
    ]);
  });

  it('rejects unknown keys with their own path', () => {
    const input = { ...validPlaybook(), triggers: [{ when: 'true', severity: 'high' }] };
    expect(issuesOf(input)).toEqual(['triggers.0.severity: unknown key']);
  });

  it('rejects bad ids, versions and empty lists', () => {
    const input = { ...validPlaybook(), id: 'Bad_Id', version: 0, steps: [] };
    expect(issuesOf(input)).toEqual([
      'id: must contain only lowercase letters, digits and dashes',
      expect.stringMatching(/^version: /),
      expect.stringMatching(/^steps: /),
    ]);
  });

  it('rejects a trigger with no filter at all', () => {
    const input = { ...validPlaybook(), triggers: [{}] };
    expect(issuesOf(input)).toEqual([
      expect.stringMatching(/^triggers\.0: a trigger needs at least one of sources, minSeverity or when/),
    ]);
  });

  it('rejects param values that are not scalars', () => {
    const input = validPlaybook() as unknown as { steps: { params: unknown }[] };
    input.steps[0]!.params = { nested: { a: 1 } };
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^steps\.0\.params\.nested: /)]);
  });
});
