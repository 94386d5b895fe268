/**
 * Firewall connectors end to end. S4's conduit block (the shipped playbook
 * s4-modbus-write-it-to-plc) runs against PAN-OS as it does against FortiGate: with
 * `integrations.panos` instead of `fortigate`, two OT approvers release it and the PAN-OS stub
 * holds the source's registration with Interlock's tag and the configured timeout. And rule 6's
 * middle step: a playbook blocks the source at the DMZ point (contain.source), then ends its
 * sessions there (remote.end_sessions), against the PAN-OS stub and against the FortiGate stub.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/types';
import { startPanosStub, type PanosStub } from '../../integrations/panos/panos.stub';
import { FORTIGATE_ADD_USERS_PATH, FORTIGATE_CLOSE_SESSIONS_PATH } from '../stubs';
import { acceptedIncident, auditOf, decide, pendingApprovalFor } from '../support/e2e';
import { REPO_ROOT, eventually, startStack, type Stack } from '../support/stack';

const AUDIT_TIMEOUT_MS = 30_000;
const TAG = 'interlock-e2e-quarantine';

/** Rule 6 in a playbook: the deny first (no new sessions), then what is already open is cut. */
const END_SESSIONS_PLAYBOOK = `
id: t-block-and-end-sessions
name: Test - block the source and end its sessions
version: 1
triggers:
  - sources: [generic]
    when: 'alert.title == "Remote session into OT" && has(alert.src.ip) && has(alert.dst.ip)'
steps:
  - id: block-source
    action: contain.source
    target: '{{ alert.src.ip }}'
    params:
      toward: '{{ alert.dst.ip }}'
  - id: end-sessions
    action: remote.end_sessions
    target: '{{ alert.src.ip }}'
    params:
      toward: '{{ alert.dst.ip }}'
`;

function playbooksDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-firewalls-'));
  cpSync(join(REPO_ROOT, 'playbooks', 's4-modbus-write-it-to-plc.yaml'), join(dir, 's4-modbus-write-it-to-plc.yaml'));
  writeFileSync(join(dir, 't-block-and-end-sessions.yaml'), END_SESSIONS_PLAYBOOK);
  return dir;
}

type Config = Record<string, unknown> & { integrations: Record<string, unknown>; playbooks: { dir: string } };

const dmzPoint = (integration: string, vdom: string) => ({
  id: 'fw-dmz',
  kind: 'firewall',
  integration,
  vdom,
  protects: ['line1-cell'],
  side: 'it-dmz',
  zone: 'dmz',
});

const has =
  (type: string, count = 1) =>
  (records: AuditRecord[]) =>
    records.filter((r) => r.eventType === type).length >= count;
const ofType = (records: AuditRecord[], type: string) => records.filter((r) => r.eventType === type);

/** Approves every approval the incident asks for (as many OT approvers as each needs) until it completes. */
async function approveUntilCompleted(stack: Stack, incidentId: string): Promise<AuditRecord[]> {
  const decided = new Set<string>();
  return eventually(
    async () => {
      const response = await stack.api(`/approvals?status=pending&incidentId=${incidentId}`, { operator: 'omar' });
      const { approvals } = (await response.json()) as { approvals: { id: string; requiredApprovals: number }[] };
      for (const approval of approvals.filter((a) => !decided.has(a.id))) {
        decided.add(approval.id);
        await decide(stack, approval.id, 'omar');
        if (approval.requiredApprovals > 1) await decide(stack, approval.id, 'grace');
      }
      const records = await auditOf(stack, incidentId, () => true);
      return has('playbook.completed')(records) ? records : undefined;
    },
    `playbook completion of ${incidentId}`,
    AUDIT_TIMEOUT_MS,
  );
}

const remoteSession = (id: string) => ({
  id,
  time: '2026-11-20T11:00:00Z',
  severity: 'high',
  title: 'Remote session into OT',
  src: { ip: '10.30.7.7' },
  dst: { ip: '10.20.77.1' },
});

describe('PAN-OS as the firewall', () => {
  let stack: Stack;
  let panos: PanosStub;

  beforeAll(async () => {
    panos = await startPanosStub({ vsys: ['vsys1', 'vsys2'] });
    const dir = playbooksDir();
    stack = await startStack({
      configure: (config) => {
        const c = config as Config;
        c.playbooks.dir = dir;
        delete c.integrations['fortigate'];
        c.integrations['panos'] = {
          baseUrl: panos.url,
          apiKey: panos.apiKey,
          tag: TAG,
          quarantineTimeout: '20m',
          timeout: '5s',
        };
        c['enforcementPoints'] = [dmzPoint('panos', 'vsys2')];
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await panos?.close();
  });

  it('S4: quarantines the IT source on PAN-OS once two OT approvers release the conduit block', async () => {
    const incidentId = await acceptedIncident(stack, {
      id: 's4-panos',
      time: '2026-11-20T11:00:00Z',
      severity: 'high',
      title: 'Modbus write to PLC',
      src: { host: 'fin-lt-042', ip: '10.30.5.42' },
      dst: { host: 'plc-7', ip: '10.20.1.7' },
    });
    const approval = await pendingApprovalFor(stack, incidentId);
    expect(approval).toMatchObject({ stepId: 'block-source-at-conduit', requiredApprovals: 2 });
    expect(panos.tagsOf('10.30.5.42')).toEqual([]);

    expect(await decide(stack, approval.id, 'omar')).toMatchObject({ status: 200, body: { approvalsRemaining: 1 } });
    expect(panos.tagsOf('10.30.5.42')).toEqual([]);
    expect(await decide(stack, approval.id, 'grace')).toMatchObject({ status: 200, body: { status: 'approved' } });

    const records = await auditOf(stack, incidentId, has('playbook.completed'), AUDIT_TIMEOUT_MS);
    expect(panos.tagsOf('10.30.5.42')).toEqual([{ tag: TAG, timeout: 1200, expiresAt: expect.any(Number) }]);
    const executed = ofType(records, 'action.executed').find((r) => r.stepId === 'block-source-at-conduit');
    expect(executed).toMatchObject({
      action: { type: 'firewall.quarantine_ip', enforcementPoint: 'panos:vsys1' },
      decision: { rule: 'rule-7-dual-approval' },
      approval: { approvers: [{ operatorId: 'omar' }, { operatorId: 'grace' }] },
      details: {
        timeBox: { expiresAfterMs: 1_200_000, mechanism: 'panos registered-IP tag timeout' },
      },
    });
    // The pre-change read came first, then the registration; never a commit.
    const types = panos.calls.map((c) => (c.body as { type: string }).type);
    expect(types).toEqual(['op', 'user-id']);
  });

  it('blocks the source at the DMZ vsys, then ends its sessions there', async () => {
    panos.openSessions('10.30.7.7', 3);
    panos.reset();
    const incidentId = await acceptedIncident(stack, remoteSession('end-panos'));
    const records = await approveUntilCompleted(stack, incidentId);

    expect(ofType(records, 'action.executed').map((r) => [r.stepId, r.action?.enforcementPoint])).toEqual([
      ['block-source', 'panos:vsys2@fw-dmz'],
      ['end-sessions', 'panos:vsys2@fw-dmz'],
    ]);
    expect(panos.tagsOf('10.30.7.7', 'vsys2').map((t) => t.tag)).toEqual([TAG]);
    expect(panos.sessionsFrom('10.30.7.7')).toBe(0);
    const commands = panos.calls.filter((c) => c.status === 200).map((c) => (c.body as { cmd: string }).cmd);
    const registered = commands.findIndex((cmd) => cmd.includes('<register>'));
    const cleared = commands.findIndex((cmd) => cmd.startsWith('<clear><session>'));
    expect(registered).toBeGreaterThanOrEqual(0);
    expect(cleared).toBeGreaterThan(registered);
    expect(commands[cleared]).toBe(
      '<clear><session><all><filter><source>10.30.7.7</source></filter></all></session></clear>',
    );
  });
});

describe('FortiGate ends sessions too', () => {
  let stack: Stack;

  beforeAll(async () => {
    const dir = playbooksDir();
    stack = await startStack({
      configure: (config) => {
        const c = config as Config;
        c.playbooks.dir = dir;
        c['enforcementPoints'] = [dmzPoint('fortigate', 'root')];
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('blocks the source at the DMZ VDOM, then closes its sessions there', async () => {
    stack.fortigate.openSessions('10.30.7.7', 2);
    const incidentId = await acceptedIncident(stack, remoteSession('end-fortigate'));
    const records = await approveUntilCompleted(stack, incidentId);

    expect(ofType(records, 'action.executed').map((r) => [r.stepId, r.action?.enforcementPoint])).toEqual([
      ['block-source', 'fortigate:root@fw-dmz'],
      ['end-sessions', 'fortigate:root@fw-dmz'],
    ]);
    expect(stack.fortigate.isBanned('10.30.7.7')).toBe(true);
    expect(stack.fortigate.sessionsFrom('10.30.7.7')).toBe(0);
    const ok = stack.fortigate.calls.filter((c) => c.status === 200 && c.method === 'POST');
    expect(ok.map((c) => c.path)).toEqual([FORTIGATE_ADD_USERS_PATH, FORTIGATE_CLOSE_SESSIONS_PATH]);
    expect(ok[1]).toMatchObject({ query: { vdom: 'root' }, body: { saddr: '10.30.7.7' } });
  });
});
