/** The Slack approval message: the action in words for people, the technical form beside it. */
import { configSchema } from '../../src/config/schema';
import { Directory } from '../../src/notifications/links';
import { approvalMessage } from '../../src/notifications/slack-messages';
import { PolicyEngine } from '../../src/policy/policy-engine';

const config = configSchema.parse({
  server: { publicUrl: 'https://interlock.example.test' },
  operators: [{ id: 'omar', name: 'Omar', roles: ['ot-engineer'] }],
  zones: [
    { id: 'eng', purdueLevel: 3, mode: 'approve', cidrs: ['10.10.0.0/16'] },
    { id: 'substation', purdueLevel: 1, mode: 'approve', cidrs: ['10.20.0.0/16'] },
  ],
  assets: [{ id: 'rtu-3', ips: ['10.20.1.3'], zone: 'substation', kind: 'rtu', criticality: 'high' }],
  enforcementPoints: [
    {
      id: 'fw-sub',
      kind: 'firewall',
      integration: 'fortigate',
      protects: ['substation'],
      side: 'conduit',
      zone: 'eng',
    },
  ],
  integrations: { fortigate: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', vdom: 'root', banExpiry: '2h' } },
});

describe('Slack approval message', () => {
  const decision = new PolicyEngine(config).decide({
    type: 'contain.source',
    target: '10.10.8.23',
    params: { toward: 'rtu-3' },
  });
  const message = approvalMessage(
    {
      approvalId: 'apr-1',
      decision,
      context: { incidentId: 'inc-1', workflowId: 'inc-1', runId: 'r', playbookId: 'pb', stepId: 'block' },
      expiresAt: '2026-11-20T12:00:00.000Z',
      status: 'pending',
      votes: [],
    },
    new Directory(config),
  );
  const blocks = JSON.stringify(message.blocks);

  it('heads with the action in words and shows the technical form as code beside it', () => {
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: {
        text: expect.stringMatching(
          /^Approval needed: block 10\.10\.8\.23 at the Fortinet FortiGate fw-sub that protects rtu-3/,
        ),
      },
    });
    expect(blocks).toContain(
      '*Proposed action:* block 10.10.8.23 at the Fortinet FortiGate fw-sub that protects rtu-3 (zone substation)',
    );
    expect(blocks).toContain('`contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-sub`');
    expect(message.text).toContain('(contain.source 10.10.8.23 toward=rtu-3 → fortigate:root@fw-sub)');
  });

  it('repeats the words in the Approve confirmation', () => {
    const actions = message.blocks.find((b) => b.type === 'actions') as {
      elements: { confirm?: { text: { text: string } } }[];
    };
    expect(actions.elements[0]?.confirm?.text.text).toMatch(/^block 10\.10\.8\.23 at the Fortinet FortiGate fw-sub/);
  });

  it('links the approval and the incident to their console pages, not to API routes', () => {
    const base = new Directory(config).publicUrl.replace(/\/+$/, '');
    expect(blocks).toContain(`<${base}/console/approvals/apr-1|apr-1>`);
    expect(blocks).toContain(`<${base}/console/incidents/inc-1|inc-1>`);
    expect(blocks).toContain(`<${base}/console/incidents/inc-1#audit|audit trail>`);
    expect(blocks).not.toMatch(new RegExp(`${base}/incidents/`));
  });
});
