/**
 * Enrichment-gated containment end to end (issue 16), on the real stack with a VirusTotal stub:
 * the shipped enrich-then-contain playbook looks a malware alert's file hash up (intel.lookup,
 * automatic everywhere) and contains the host only when steps.vt.result.malicious >= 5. A known
 * bad hash is contained; a clean one is looked up and recorded, and containment is skipped. Both
 * steps run in the incident's admission: the lookup's result reaches the next step's condition.
 */
import type { AuditRecord } from '../../src/audit/types';
import { startVirusTotalStub, type VirusTotalStub } from '../../integrations/virustotal/virustotal.stub';
import { CROWDSTRIKE_DEVICE_ACTIONS_PATH, type RecordedCall } from '../stubs';
import { acceptedIncident, auditOf } from '../support/e2e';
import { CROWDSTRIKE_AGENT_FIN_LT_042, startStack, type Stack } from '../support/stack';

const EVIL = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const CLEAN = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const VT_KEY = 'virustotal-e2e-api-key-0123456789';
const AUDIT_TIMEOUT_MS = 30_000;

let stack: Stack;
let vt: VirusTotalStub;

beforeAll(async () => {
  vt = await startVirusTotalStub({
    apiKey: VT_KEY,
    files: {
      [EVIL]: { malicious: 61, suspicious: 2, harmless: 0, undetected: 9, reputation: -82 },
      [CLEAN]: { malicious: 0, suspicious: 0, harmless: 5, undetected: 67, reputation: 3 },
    },
  });
  stack = await startStack({
    configure: (config) => {
      (config.integrations as Record<string, unknown>)['virustotal'] = {
        baseUrl: vt.url,
        apiKey: VT_KEY,
        timeout: '5s',
        requestsPerMinute: 4,
        cacheTtl: '1h',
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await vt?.close();
});

const malware = (uid: string, host: { name: string; ip: string }, hash: string) => ({
  id: uid,
  time: '2026-11-20T11:00:00Z',
  title: 'Trojan dropper detected',
  severity: 'medium',
  category: 'malware',
  hosts: [host],
  hashes: [hash.toUpperCase()],
});

const completed = (records: AuditRecord[]) => records.some((r) => r.eventType.startsWith('playbook.completed'));
const ofStep = (records: AuditRecord[], stepId: string) =>
  records.filter((r) => r.stepId === stepId).map((r) => [r.eventType, r.decision?.rule]);
const contained = () =>
  stack.crowdstrike
    .callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH)
    .filter((c: RecordedCall) => c.status < 300 && c.query['action_name'] === 'contain');

describe('enrich-then-contain', () => {
  it('looks a known bad hash up automatically and contains the host', async () => {
    const incidentId = await acceptedIncident(
      stack,
      malware('vt-e2e-evil', { name: 'fin-lt-042', ip: '10.30.5.42' }, EVIL),
    );
    const records = await auditOf(stack, incidentId, completed, AUDIT_TIMEOUT_MS);

    expect(records.find((r) => r.eventType === 'playbook.started')?.playbookId).toBe('enrich-then-contain');
    expect(ofStep(records, 'vt')).toEqual([
      ['policy.decided', 'read-only'],
      ['action.executed', 'read-only'],
    ]);
    expect(ofStep(records, 'contain-host')).toEqual([
      ['policy.decided', 'rule-2-auto-it'],
      ['action.executed', 'rule-2-auto-it'],
    ]);
    const lookup = records.find((r) => r.stepId === 'vt' && r.eventType === 'action.executed');
    expect(lookup?.details?.['result']).toEqual({
      found: true,
      malicious: 61,
      suspicious: 2,
      harmless: 0,
      undetected: 9,
      reputation: -82,
      link: `https://www.virustotal.com/gui/file/${EVIL}`,
    });
    expect(vt.callsTo(`/api/v3/files/${EVIL}`)).toHaveLength(1);
    expect(contained().map((c) => c.body)).toEqual([{ ids: [CROWDSTRIKE_AGENT_FIN_LT_042] }]);
    // The run's outcomes carry the verdict too.
    const outcomes = records.find((r) => r.eventType === 'playbook.completed')?.details?.['outcomes'] as {
      stepId: string;
      result?: { malicious?: number };
    }[];
    expect(outcomes.map((o) => [o.stepId, o.result?.malicious])).toEqual([
      ['vt', 61],
      ['contain-host', undefined],
    ]);

    // The incident API shows the verdict with the action; the key is nowhere in the trail.
    const detail = (await (await stack.api(`/incidents/${incidentId}`, { operator: 'alice' })).json()) as {
      actions: { stepId?: string; eventType: string; output?: { malicious?: number } }[];
    };
    expect(detail.actions.find((a) => a.stepId === 'vt' && a.eventType === 'action.executed')?.output).toMatchObject({
      malicious: 61,
    });
    expect(JSON.stringify(records)).not.toContain(VT_KEY);
  });

  it('records a clean hash and skips containment (condition false)', async () => {
    const before = contained().length;
    const incidentId = await acceptedIncident(
      stack,
      malware('vt-e2e-clean', { name: 'fin-lt-077', ip: '10.30.5.77' }, CLEAN),
    );
    const records = await auditOf(stack, incidentId, completed, AUDIT_TIMEOUT_MS);

    expect(ofStep(records, 'vt')).toEqual([
      ['policy.decided', 'read-only'],
      ['action.executed', 'read-only'],
    ]);
    const lookup = records.find((r) => r.stepId === 'vt' && r.eventType === 'action.executed');
    expect(lookup?.details?.['result']).toMatchObject({ found: true, malicious: 0 });
    const skipped = records.filter((r) => r.stepId === 'contain-host');
    expect(skipped.map((r) => [r.eventType, r.result?.status, r.result?.detail])).toEqual([
      ['action.skipped', 'skipped', 'condition false: steps.vt.?result.?malicious.orValue(0) >= 5'],
    ]);
    expect(contained()).toHaveLength(before);
  });
});
