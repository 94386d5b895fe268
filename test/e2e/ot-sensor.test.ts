/**
 * OT sensor alert actions end to end (issue 16): a Nozomi alert about an HMI starts a playbook
 * that acknowledges that very alert at Nozomi at once (read-only), and proposes learning it — a
 * baseline change the engine holds for OT approval (rule 3); once approved, Nozomi shows the alert
 * closed as a change. And the worker mirrors a maintenance window in force to the Defender for IoT
 * console at startup. API and worker are real processes; Nozomi and the console are stubs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/audit/types';
import { startDefenderIotStub, type DefenderIotStub } from '../../integrations/defender-iot/defender-iot.stub';
import {
  NOZOMI_ACK_PATH,
  NOZOMI_CLOSE_PATH,
  startNozomiStub,
  type NozomiStub,
} from '../../integrations/nozomi/nozomi.stub';
import { accepted, auditOf } from '../support/e2e';
import { eventually, startStack, type Stack } from '../support/stack';

const NOZOMI_SOURCE_TOKEN = 'nozomi-webhook-token-0123';
const NOZOMI_KEY_TOKEN = 'nozomi-e2e-key-token-4567';
const ALERT_ID = '6a0c9f1e-2b3d-4c5e-8f70-1a2b3c4d5e6f';

const PLAYBOOK = `
id: t-nozomi-alert-housekeeping
name: Test - acknowledge a Nozomi alert, propose learning it
version: 1
triggers:
  - sources: [nozomi]
    when: 'has(alert.dst) && has(alert.dst.ip)'
steps:
  - id: acknowledge
    action: sensor.acknowledge_alert
    target: '{{ alert.dst.ip }}'
    params:
      alertId: '{{ alert.uid }}'
  - id: learn
    action: sensor.learn_alert
    target: '{{ alert.dst.ip }}'
    params:
      alertId: '{{ alert.uid }}'
`;

let stack: Stack;
let nozomi: NozomiStub;
let defender: DefenderIotStub;
const DEFENDER_TOKEN = 'defender-iot-e2e-token-89ab';

beforeAll(async () => {
  nozomi = await startNozomiStub({ keyName: 'interlock', keyToken: NOZOMI_KEY_TOKEN });
  defender = await startDefenderIotStub({ apiToken: DEFENDER_TOKEN });
  const playbooksDir = mkdtempSync(join(tmpdir(), 'interlock-ot-sensor-'));
  writeFileSync(join(playbooksDir, 't-nozomi-alert-housekeeping.yaml'), PLAYBOOK);
  stack = await startStack({
    configure: (config) => {
      const c = config as Record<string, unknown> & {
        playbooks: { dir: string };
        sources: Record<string, unknown>;
        assets: Record<string, unknown>[];
        integrations: Record<string, unknown>;
      };
      // In force now, for plc-7 only (hmi-2's decisions stay outside any window).
      c['maintenanceWindows'] = [
        {
          id: 'MW-E2E-1',
          zone: 'line1-cell',
          assets: ['plc-7'],
          start: new Date(Date.now() - 60_000).toISOString(),
          end: new Date(Date.now() + 2 * 3_600_000).toISOString(),
          changeTicket: 'CHG-1',
        },
      ];
      c.integrations['defender-iot'] = {
        baseUrl: defender.url,
        apiToken: DEFENDER_TOKEN,
        maintenanceSync: { zones: { 'line1-cell': { sensorIds: ['7'] } } },
      };
      c.playbooks.dir = playbooksDir;
      c.sources['nozomi'] = { token: NOZOMI_SOURCE_TOKEN };
      c.assets.push({
        id: 'hmi-2',
        hostnames: ['hmi-2'],
        ips: ['10.20.1.2'],
        zone: 'line1-cell',
        kind: 'hmi',
        criticality: 'medium',
      });
      c.integrations['nozomi'] = {
        baseUrl: nozomi.url,
        keyName: 'interlock',
        keyToken: NOZOMI_KEY_TOKEN,
        timeout: '5s',
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await nozomi?.close();
  await defender?.close();
});

describe('maintenance windows mirrored to Defender for IoT', () => {
  it('the worker opened the window in force at startup, scoped to its asset, for the time left', async () => {
    const window = await eventually(() => defender.openWindows().get('MW-E2E-1'), 'the maintenance window');
    expect(window).toMatchObject({ sensorIds: ['7'], subnets: ['10.20.1.7/32'] });
    expect(window?.ttl).toBeGreaterThanOrEqual(119);
    expect(window?.ttl).toBeLessThanOrEqual(120);
  });
});

const posts = (path: string) => nozomi.callsTo(path).filter((c) => c.method === 'POST' && c.path === path);

describe('a Nozomi alert acknowledged at once, learned after OT approval', () => {
  it('acknowledges the alert that started the playbook, holds learning for approval, then learns it', async () => {
    const response = await fetch(`${stack.apiUrl}/webhooks/nozomi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${NOZOMI_SOURCE_TOKEN}` },
      body: JSON.stringify({
        id: ALERT_ID,
        type_id: 'SIGN:NEW-NODE',
        name: 'New node',
        description: 'A new node 10.20.1.2 appeared in the network',
        severity: 5,
        ip_src: '10.20.1.9',
        ip_dst: '10.20.1.2',
        protocol: 'modbus',
        time: Date.parse('2026-11-20T11:00:00Z'),
      }),
    });
    const { incidentId } = await accepted(response);

    const hasType = (type: string) => (records: AuditRecord[]) => records.some((r) => r.eventType === type);
    const records = await auditOf(stack, incidentId, hasType('approval.requested'), 60_000);
    const acknowledged = records.find((r) => r.eventType === 'action.executed' && r.stepId === 'acknowledge');
    expect(acknowledged?.decision).toMatchObject({ outcome: 'auto' });
    expect(acknowledged?.action?.enforcementPoint).toBe('nozomi');
    expect(posts(NOZOMI_ACK_PATH).map((c) => c.body)).toEqual([{ data: [{ id: ALERT_ID, ack: true }] }]);
    expect(nozomi.alerts.get(ALERT_ID)).toMatchObject({ ack: true, status: 'open' });

    const decided = records.find((r) => r.eventType === 'policy.decided' && r.stepId === 'learn');
    expect(decided?.decision).toMatchObject({ outcome: 'approve', rule: 'rule-3-ot-change-needs-approval' });
    expect(posts(NOZOMI_CLOSE_PATH)).toEqual([]);

    const pending = await eventually(async () => {
      const list = await stack.api(`/approvals?status=pending&incidentId=${incidentId}`, { operator: 'omar' });
      const { approvals } = (await list.json()) as { approvals: { id: string; stepId: string }[] };
      return approvals.find((a) => a.stepId === 'learn');
    }, 'the pending approval of learn');
    const vote = await stack.api(`/approvals/${pending.id}/decision`, {
      method: 'POST',
      operator: 'omar',
      body: { decision: 'approve' },
    });
    expect(vote.status).toBe(200);

    const after = await auditOf(
      stack,
      incidentId,
      (rs) => rs.some((r) => r.eventType === 'action.executed' && r.stepId === 'learn'),
      60_000,
    );
    const learned = after.find((r) => r.eventType === 'action.executed' && r.stepId === 'learn');
    expect(learned?.result?.detail).toMatch(/closed as learned/);
    expect(posts(NOZOMI_CLOSE_PATH).map((c) => c.body)).toEqual([{ ids: [ALERT_ID], close_action: 'learn_rules' }]);
    expect(nozomi.alerts.get(ALERT_ID)?.status).toBe('closed_as_change');
    // The key token never reaches the audit trail.
    expect(JSON.stringify(after)).not.toContain(NOZOMI_KEY_TOKEN);
  });
});
