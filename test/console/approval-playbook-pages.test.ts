/** The console's page functions are pure: hostile text from alerts, playbooks and operators is escaped. */
import { approvalCard, confirmPage, inboxPage, type ApprovalView } from '../../src/api/console/approval-pages';
import { playbookPage } from '../../src/api/console/playbook-pages';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'';
const viewer = { id: 'omar', name: `Omar ${HOSTILE}`, roles: ['ot-engineer'], csrfToken: 'tok"en' };
const approval: ApprovalView = {
  id: 'apr-00000000-0000-0000-0000-000000000001',
  incidentId: `inc-${HOSTILE}`,
  playbookId: 'pb',
  stepId: HOSTILE,
  status: 'pending',
  description: { text: `block ${HOSTILE}`, technical: `firewall.quarantine_ip ${HOSTILE}` },
  target: { assetId: HOSTILE, zone: HOSTILE, purdueLevel: 1, criticality: 'high' },
  rule: HOSTILE,
  reason: HOSTILE,
  requiredApprovals: 2,
  requiredRoles: ['ot-engineer'],
  votes: [
    {
      operatorId: 'grace',
      name: HOSTILE,
      decision: 'approve',
      at: '2026-11-20T10:00:00.000Z',
      channel: 'console',
      reason: HOSTILE,
    },
  ],
  actionDigest: 'a'.repeat(64),
  createdAt: '2026-11-20T09:59:00.000Z',
  expiresAt: '2026-11-20T10:09:00.000Z',
};
const now = Date.parse('2026-11-20T10:00:00.000Z');

function expectEscaped(html: string): void {
  expect(html).not.toContain('<script>alert');
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;');
  // Scripts come from same-origin files only.
  expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(
    [...html.matchAll(/<script src="\/console\/assets\/[a-z.-]+\?v=[0-9a-f]{16}" defer>/g)].map((m) => m[0]),
  );
}

describe('console pages', () => {
  it('escape every value on the inbox, the card and the confirmation', () => {
    expectEscaped(inboxPage({ viewer, mine: [approval], others: [approval], now }));
    expectEscaped(approvalCard(viewer, approval, now));
    const confirm = confirmPage({
      viewer,
      approval,
      decision: 'reject',
      now,
      values: { reason: `</textarea>${HOSTILE}` },
      error: { message: HOSTILE, code: 'x', issues: [{ path: HOSTILE, message: HOSTILE }] },
    });
    expectEscaped(confirm);
    expect(confirm).toContain('value="tok&quot;en"');
    expect(confirm).not.toContain('</textarea><script>');
  });

  it('escape the YAML and the dry-run error on the playbook page', () => {
    const html = playbookPage({
      viewer,
      playbook: {
        id: 'pb',
        name: HOSTILE,
        version: 1,
        description: HOSTILE,
        rollbackOnFailure: false,
        triggers: [{ sources: [HOSTILE], when: HOSTILE }],
        steps: [{ id: 'a', action: 'edr.contain_host' }],
        warnings: [{ path: 'steps.0', stepId: 'a', action: 'edr.contain_host', outcome: 'approve', message: HOSTILE }],
      },
      file: HOSTILE,
      yaml: HOSTILE,
      sources: [HOSTILE],
      form: { source: HOSTILE, alert: `</textarea>${HOSTILE}` },
      error: { message: HOSTILE, issues: [{ path: 'alert', message: HOSTILE }] },
    });
    expectEscaped(html);
  });
});
