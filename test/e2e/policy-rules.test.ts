/**
 * Rules 3 (pre-authorized catalog), 6 (containment order) and 10 (time box) end to end: the
 * example playbook `playbooks/examples/contain-source-into-ot.yaml` states the intent
 * (contain.source), the engine picks the DMZ enforcement point, gates or pre-authorizes the
 * change, and the FortiGate stub records the ban with its expiry.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/types';
import { FORTIGATE_ADD_USERS_PATH } from '../stubs';
import { accepted, auditOf } from '../support/e2e';
import { REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  const playbooksDir = mkdtempSync(join(tmpdir(), 'interlock-policy-rules-'));
  cpSync(
    join(REPO_ROOT, 'playbooks', 'examples', 'contain-source-into-ot.yaml'),
    join(playbooksDir, 'contain-source-into-ot.yaml'),
  );
  stack = await startStack({
    configure: (config) => {
      const c = config as Record<string, unknown> & {
        zones: Record<string, unknown>[];
        playbooks: { dir: string };
      };
      c.playbooks.dir = playbooksDir;
      c['enforcementPoints'] = [
        {
          id: 'fw-dmz',
          kind: 'firewall',
          integration: 'fortigate',
          protects: ['line1-cell', 'eng'],
          side: 'it-dmz',
          zone: 'dmz',
        },
      ];
      // The DMZ firewall and the eng zone pre-authorize the containment; line1-cell does not.
      for (const zone of c.zones)
        if (zone['id'] === 'dmz' || zone['id'] === 'eng')
          zone['preAuthorized'] = [
            { action: 'contain.source', approvedBy: 'grace', ticket: `CHG-${String(zone['id'])}` },
          ];
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function send(id: string, src: string, dst: string): Promise<string> {
  const response = await stack.webhook('generic', {
    id,
    time: '2026-11-20T11:00:00Z',
    severity: 'high',
    title: `Unexpected IT-to-OT connection ${id}`,
    src: { ip: src },
    dst: { ip: dst },
  });
  return (await accepted(response)).incidentId;
}

function auditWith(incidentId: string, eventType: string): Promise<AuditRecord[]> {
  const hasType = (records: AuditRecord[]) => records.some((r) => r.eventType === eventType);
  return auditOf(stack, incidentId, hasType, undefined, `${eventType} for ${incidentId}`);
}

const bans = () =>
  stack.fortigate
    .callsTo(FORTIGATE_ADD_USERS_PATH)
    .filter((c) => c.status < 300)
    .map((c) => c.body as { ip_addresses: string[]; expiry: number });

describe('contain.source at the enforcement point the engine picks', () => {
  it('denies at the DMZ only after OT approval, and audits the point and the time box', async () => {
    const incidentId = await send('rules-1', '10.30.7.7', '10.20.77.1');
    const pending = await eventually(async () => {
      const response = await stack.api(`/approvals?status=pending&incidentId=${incidentId}`, { operator: 'omar' });
      const { approvals } = (await response.json()) as { approvals: { id: string; requiredApprovals: number }[] };
      return approvals[0];
    }, 'a pending approval');
    expect(pending.requiredApprovals).toBe(1);
    const decided = (await auditWith(incidentId, 'policy.decided')).find((r) => r.eventType === 'policy.decided');
    expect(decided?.decision).toMatchObject({ outcome: 'approve', rule: 'rule-3-ot-change-needs-approval' });
    expect(decided?.action?.enforcementPoint).toBe('fortigate:root@fw-dmz');
    expect(decided?.details).toMatchObject({
      containment: {
        enforcementPointId: 'fw-dmz',
        side: 'it-dmz',
        protectedZone: 'line1-cell',
        blockedIp: '10.30.7.7',
      },
      timeBox: { expiresAfterMs: 3_600_000, extendWith: 'contain.source' },
    });
    expect(bans().flatMap((b) => b.ip_addresses)).not.toContain('10.30.7.7');

    const vote = await stack.api(`/approvals/${pending.id}/decision`, {
      method: 'POST',
      operator: 'omar',
      body: { decision: 'approve' },
    });
    expect(vote.status).toBe(200);
    const executed = (await auditWith(incidentId, 'action.executed')).find((r) => r.eventType === 'action.executed');
    expect(bans()).toContainEqual({ ip_addresses: ['10.30.7.7'], expiry: 3600 });
    const expiresAt = (executed?.details?.['timeBox'] as { expiresAt?: string } | undefined)?.expiresAt;
    expect(Date.parse(expiresAt ?? '') - Date.parse(executed?.time ?? '')).toBeGreaterThan(3_590_000);
  });

  it('runs without a new approval where every OT zone touched pre-authorized it, naming who signed it off', async () => {
    const incidentId = await send('rules-2', '10.30.7.8', '10.10.9.9');
    const records = await auditWith(incidentId, 'action.executed');
    const executed = records.find((r) => r.eventType === 'action.executed');
    expect(executed?.decision).toMatchObject({ outcome: 'auto', rule: 'rule-3-pre-authorized' });
    expect(executed?.details?.['preAuthorizations']).toEqual([
      { zone: 'eng', approvedBy: ['grace'], ticket: 'CHG-eng', dual: false },
      { zone: 'dmz', approvedBy: ['grace'], ticket: 'CHG-dmz', dual: false },
    ]);
    expect(records.some((r) => r.eventType === 'approval.requested')).toBe(false);
    expect(bans()).toContainEqual({ ip_addresses: ['10.30.7.8'], expiry: 3600 });
  });
});

describe('the SIS written in IPv6 (issue 13: IPv4 embedded in IPv6)', () => {
  const SIS_FORMS = ['64:ff9b::10.20.9.1', '::ffff:0:10.20.9.1', '2002:a14:901::1', '64:ff9b:1:a14:9:100::'];

  it('refuses containment toward or from the SIS in NAT64, SIIT and 6to4 form under rule 5, and bans nothing', async () => {
    const incidents = await Promise.all(
      SIS_FORMS.flatMap((form, i) => [
        send(`rules-sis6-dst-${i}`, '10.30.7.9', form),
        send(`rules-sis6-src-${i}`, form, '10.20.77.1'),
      ]),
    );
    for (const incidentId of incidents) {
      const records = await auditWith(incidentId, 'playbook.completed');
      expect(records.find((r) => r.eventType === 'policy.decided')?.decision).toMatchObject({
        outcome: 'refuse',
        rule: 'rule-5-safety-system',
      });
      expect(records.some((r) => r.eventType.startsWith('approval.') || r.eventType === 'action.executed')).toBe(false);
    }
    expect(bans().flatMap((b) => b.ip_addresses)).not.toContain('10.30.7.9');
    expect(JSON.stringify(bans())).not.toMatch(/10\.20\.9\.1|a14:901|ff9b/);
  });
});
