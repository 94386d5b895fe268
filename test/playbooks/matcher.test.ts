import { join } from 'node:path';
import { loadPlaybooks } from '../../src/playbooks/loader';
import { matchesTrigger, matchingPlaybooks, matchTrigger } from '../../src/playbooks/matcher';
import { playbookSchema, type Playbook } from '../../src/playbooks/schema';
import { renderParams, renderTarget } from '../../src/playbooks/expressions';
import type { Alert } from '../../src/alerts/alert';
import { AlertAssetResolver } from '../../src/playbooks/alert-assets';
import { exampleConfig } from '../support/example-config';
import { buildAlert, modbusWriteAlert, splunkRansomwareAlert } from './sample-alerts';

const resolver = new AlertAssetResolver(exampleConfig());
/** Shipped triggers read the alert's endpoints as the example inventory knows them. */
const assetsOf = (alert: Alert) => resolver.resolve(alert);

let shipped: Playbook[];
let s1: Playbook;
let s4: Playbook;

beforeAll(async () => {
  shipped = await loadPlaybooks(join(__dirname, '..', '..', 'playbooks'));
  s1 = shipped.find((p) => p.id === 's1-ransomware-office-laptop')!;
  s4 = shipped.find((p) => p.id === 's4-modbus-write-it-to-plc')!;
});

function playbookWith(triggers: unknown[]): Playbook {
  return playbookSchema.parse({
    id: 'p',
    name: 'P',
    version: 1,
    triggers,
    steps: [{ id: 's', action: 'edr.contain_host', target: 'h' }],
  });
}

describe('shipped playbooks against sample alerts', () => {
  it('the Splunk ransomware alert for fin-lt-042 starts S1 and not S4', () => {
    const assets = assetsOf(splunkRansomwareAlert);
    expect(matchesTrigger(s1, splunkRansomwareAlert, assets)).toBe(true);
    expect(matchesTrigger(s4, splunkRansomwareAlert, assets)).toBe(false);
    expect(matchingPlaybooks(shipped, splunkRansomwareAlert, assets).map((p) => p.id)).toEqual([
      's1-ransomware-office-laptop',
    ]);
  });

  it('S1 contains the first host by hostname, falling back to its IP', () => {
    const vars = { alert: splunkRansomwareAlert, incident: { id: 'inc-1' }, steps: {} };
    const [step] = s1.steps;
    expect(renderTarget(step!.target, vars)).toBe('fin-lt-042');
    expect(renderParams(step!.params ?? {}, vars)).toEqual({
      comment: `Interlock incident inc-1: ransomware alert ${splunkRansomwareAlert.uid}`,
    });
    const ipOnly = buildAlert({ title: 'Ransomware detected', hosts: [{ ip: '10.1.2.3' }] });
    expect(renderTarget(step!.target, { ...vars, alert: ipOnly })).toBe('10.1.2.3');
  });

  it('S1 takes ransomware at any severity, malware from high severity, and ignores other categories', () => {
    expect(matchesTrigger(s1, { ...splunkRansomwareAlert, severity: 'medium', severityId: 3 })).toBe(true);
    const malware = { ...splunkRansomwareAlert, category: 'malware' as const };
    expect(matchesTrigger(s1, malware)).toBe(true);
    expect(matchesTrigger(s1, { ...malware, severity: 'medium', severityId: 3 })).toBe(false);
    expect(matchesTrigger(s1, { ...splunkRansomwareAlert, category: 'credential_access' })).toBe(false);
    expect(matchesTrigger(s1, { ...splunkRansomwareAlert, hosts: [] })).toBe(false);
  });

  it('S1 matches ATT&CK T1486 Data Encrypted for Impact, whatever the words', () => {
    const alert = buildAlert({
      title: 'Mass file modification',
      hosts: [{ hostname: 'fin-lt-042' }],
      attacks: [{ technique: { uid: 'T1486' }, matrix: 'enterprise' }],
      category: 'impact',
    });
    expect(matchesTrigger(s1, alert)).toBe(true);
  });

  it('the Modbus write alert starts S4 and not S1', () => {
    expect(matchesTrigger(s4, modbusWriteAlert, assetsOf(modbusWriteAlert))).toBe(true);
    expect(matchesTrigger(s1, modbusWriteAlert, assetsOf(modbusWriteAlert))).toBe(false);
  });

  it('S4 targets the IT source for containment and the PLC for the conduit block of the source IP', () => {
    const vars = { alert: modbusWriteAlert, incident: { id: 'inc-4' }, steps: {} };
    const [contain, block] = s4.steps;
    expect(renderTarget(contain!.target, vars)).toBe('it-ws-17');
    expect(renderTarget(block!.target, vars)).toBe('10.20.1.7');
    expect(renderParams(block!.params ?? {}, vars)).toEqual({ ip: '10.10.4.17' });
  });

  it('S4 needs both ends of the traffic and the source IP', () => {
    const { src: _src, ...withoutSource } = modbusWriteAlert;
    expect(matchesTrigger(s4, withoutSource, assetsOf(withoutSource))).toBe(false);
    const nameOnly = { ...modbusWriteAlert, src: { hostname: 'it-ws-17' } };
    expect(matchesTrigger(s4, nameOnly, assetsOf(nameOnly))).toBe(false);
    const { dst: _dst, ...withoutDestination } = modbusWriteAlert;
    expect(matchesTrigger(s4, withoutDestination, assetsOf(withoutDestination))).toBe(false);
    // A read is not a write; a write from inside the cell is not from the IT side.
    const read = { ...modbusWriteAlert, ot: { operation: 'read' as const, functionCode: '3' } };
    expect(matchesTrigger(s4, read, assetsOf(read))).toBe(false);
    const fromCell = { ...modbusWriteAlert, src: { ip: '10.20.3.3' } };
    expect(matchesTrigger(s4, fromCell, assetsOf(fromCell))).toBe(false);
  });
});

describe('trigger rules', () => {
  it('filters on source name', () => {
    const playbook = playbookWith([{ sources: ['splunk', 'generic'] }]);
    expect(matchesTrigger(playbook, splunkRansomwareAlert)).toBe(true);
    expect(matchesTrigger(playbook, modbusWriteAlert)).toBe(false);
  });

  it('compares minSeverity by severityId, inclusive', () => {
    const playbook = playbookWith([{ minSeverity: 'high' }]);
    expect(matchesTrigger(playbook, buildAlert({ severity: 'high' }))).toBe(true);
    expect(matchesTrigger(playbook, buildAlert({ severity: 'fatal' }))).toBe(true);
    expect(matchesTrigger(playbook, buildAlert({ severity: 'medium' }))).toBe(false);
  });

  it('requires every filter of one trigger', () => {
    const playbook = playbookWith([{ sources: ['splunk'], minSeverity: 'critical', when: 'true' }]);
    expect(matchesTrigger(playbook, splunkRansomwareAlert)).toBe(false);
    expect(matchesTrigger(playbook, { ...splunkRansomwareAlert, severity: 'critical', severityId: 5 })).toBe(true);
  });

  it('matches when ANY trigger matches', () => {
    const playbook = playbookWith([{ sources: ['qradar'] }, { when: 'alert.title.contains("Modbus")' }]);
    expect(matchesTrigger(playbook, modbusWriteAlert)).toBe(true);
    expect(matchesTrigger(playbook, splunkRansomwareAlert)).toBe(false);
  });

  it('does not match on a condition that fails to evaluate, reports it, and still tries other triggers', () => {
    const playbook = playbookWith([{ when: 'alert.src.hostname == "x"' }, { sources: ['splunk'] }]);
    const noSource = buildAlert();
    const result = matchTrigger(playbook, noSource);
    expect(result.matched).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.trigger).toBe(0);
    expect(result.errors[0]?.message).toMatch(/No such key: src/);
    const splunkWithoutSrc = { ...splunkRansomwareAlert, src: undefined };
    expect(matchTrigger(playbook, splunkWithoutSrc).matched).toBe(true);
  });
});
