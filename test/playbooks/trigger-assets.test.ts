import { AlertAssetResolver, otZonesOf, touchesOt } from '../../src/playbooks/alert-assets';
import { explainMatch, fieldPaths, topLevelConjuncts } from '../../src/playbooks/explain';
import { matchTrigger } from '../../src/playbooks/matcher';
import { playbookSchema, validatePlaybook, type Playbook } from '../../src/playbooks/schema';
import { exampleConfig } from '../support/example-config';
import type { Alert, Severity } from '../../src/alerts/alert';
import { buildAlert } from './sample-alerts';

const resolver = new AlertAssetResolver(exampleConfig());

function playbookWhen(when: string): Playbook {
  return playbookSchema.parse({
    id: 'p',
    name: 'P',
    version: 1,
    triggers: [{ when }],
    steps: [{ id: 's', action: 'edr.contain_host', target: 'h' }],
  });
}

/** An alert about traffic from src to dst; its hosts are dst then src, as normalizers order them. */
function trafficAlert(
  src: Alert['src'],
  dst: Alert['dst'],
  overrides: Partial<Alert> & { severity?: Severity } = {},
): Alert {
  return buildAlert({ src, dst, hosts: [dst, src].filter((e) => e !== undefined), ...overrides });
}

const modbusWrite = trafficAlert(
  { hostname: 'eng-ws-03', ip: '10.10.4.17' },
  { ip: '10.20.1.7' },
  { title: 'Register write' },
);

describe('assets: the alert endpoints resolved against the inventory', () => {
  it('resolves src and dst like the policy does: asset, zone, Purdue level, kind, owner', () => {
    const assets = resolver.resolve(modbusWrite);
    expect(assets.dst).toMatchObject({
      ref: '10.20.1.7',
      known: true,
      listed: true,
      id: 'plc-7',
      zone: 'line1-cell',
      purdueLevel: 1,
      kind: 'plc',
      criticality: 'high',
      owner: 'grace',
      site: 'plant-a',
      safetySystem: false,
      domain: 'ot',
    });
    expect(assets.src).toMatchObject({ id: 'eng-ws-03', zone: 'eng', purdueLevel: 3, kind: 'ews', domain: 'ot' });
    expect(assets.hosts.map((h) => h.id)).toEqual(['plc-7', 'eng-ws-03']);
  });

  it('marks what the inventory cannot place as unknown, and OT (rule 1)', () => {
    const assets = resolver.resolve(trafficAlert({ hostname: 'nobody-knows' }, { ip: '203.0.113.9' }));
    expect(assets.dst).toEqual({ ref: '203.0.113.9', known: false, listed: false, safetySystem: false, domain: 'ot' });
    expect(assets.src).toMatchObject({ ref: 'nobody-knows', known: false, domain: 'ot' });
    expect(touchesOt(assets)).toBe(true);
  });

  it('an unlisted address inside a zone is known by its zone only; an IT laptop does not touch OT', () => {
    const inZone = resolver.resolve(trafficAlert(undefined, { ip: '10.20.7.7' }));
    expect(inZone.dst).toMatchObject({ known: true, listed: false, zone: 'line1-cell', purdueLevel: 1, domain: 'ot' });
    expect(otZonesOf(inZone)).toEqual(['line1-cell']);
    const laptop = resolver.resolve(buildAlert({ hosts: [{ hostname: 'fin-lt-042', ip: '10.30.5.42' }] }));
    expect(laptop.hosts[0]).toMatchObject({ id: 'fin-lt-042', domain: 'it', purdueLevel: 4 });
    expect(touchesOt(laptop)).toBe(false);
  });

  it('a known hostname wins over its address; an unknown hostname falls back to the address', () => {
    const renamed = resolver.resolve(buildAlert({ dst: { hostname: 'PLC-7', ip: '10.30.5.42' } }));
    expect(renamed.dst?.id).toBe('plc-7');
    const unnamed = resolver.resolve(buildAlert({ dst: { hostname: 'rtu-unlisted', ip: '10.20.9.1' } }));
    expect(unnamed.dst).toMatchObject({ id: 'sis-1', safetySystem: true, ref: 'rtu-unlisted' });
  });

  it('triggers read assets in CEL: Purdue level (int and 3.5), safety flag, zone, unknown endpoints', () => {
    const assets = resolver.resolve(modbusWrite);
    expect(matchTrigger(playbookWhen('assets.dst.purdueLevel <= 2'), modbusWrite, assets).matched).toBe(true);
    expect(matchTrigger(playbookWhen('assets.src.zone == "eng"'), modbusWrite, assets).matched).toBe(true);
    expect(matchTrigger(playbookWhen('assets.dst.safetySystem'), modbusWrite, assets).matched).toBe(false);
    expect(matchTrigger(playbookWhen('assets.hosts[0].kind == "plc"'), modbusWrite, assets).matched).toBe(true);
    const dmz = trafficAlert(undefined, { ip: '10.15.0.9' });
    expect(matchTrigger(playbookWhen('assets.dst.purdueLevel < 4'), dmz, resolver.resolve(dmz)).matched).toBe(true);
    expect(matchTrigger(playbookWhen('assets.dst.purdueLevel <= 3'), dmz, resolver.resolve(dmz)).matched).toBe(false);
    const unknown = trafficAlert(undefined, { ip: '198.51.100.4' });
    expect(
      matchTrigger(playbookWhen('has(assets.dst) && !assets.dst.known'), unknown, resolver.resolve(unknown)).matched,
    ).toBe(true);
  });

  it('without an inventory, a condition reading assets does not match and says why', () => {
    const result = matchTrigger(playbookWhen('assets.dst.purdueLevel <= 2'), modbusWrite);
    expect(result.matched).toBe(false);
    expect(result.errors).toHaveLength(1);
  });

  it('steps cannot read assets (resolved for triggers only)', () => {
    const result = validatePlaybook({
      id: 'p',
      name: 'P',
      version: 1,
      triggers: [{ when: 'assets.dst.purdueLevel <= 2' }],
      steps: [{ id: 's', action: 'edr.contain_host', target: '{{ assets.dst.ref }}', if: 'assets.dst.known' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path).sort()).toEqual(['steps.0.if', 'steps.0.target']);
      expect(result.issues[0]?.message).toContain('triggers only');
    }
    // The word in a literal is not a read.
    expect(
      validatePlaybook({
        id: 'p',
        name: 'P',
        version: 1,
        triggers: [{ when: 'true' }],
        steps: [
          { id: 's', action: 'edr.contain_host', target: 'h', params: { comment: 'protect assets {{ "assets" }}' } },
        ],
      }).ok,
    ).toBe(true);
  });
});

describe('explain: which trigger condition was false, with the values it read', () => {
  it('splits only top-level && (not inside brackets or strings) and lists the fields read', () => {
    expect(topLevelConjuncts('a && (b && c) && "x && y" == d && [1,2].exists(v, v > 0 && v < 3)')).toEqual([
      'a',
      '(b && c)',
      '"x && y" == d',
      '[1,2].exists(v, v > 0 && v < 3)',
    ]);
    expect(
      fieldPaths('alert.title.lowerAscii().contains("alert.rule") && assets.dst.?purdueLevel.orValue(9) <= 2'),
    ).toEqual(['alert.title', 'assets.dst.purdueLevel']);
  });

  it('names the first false conjunct and the evaluated values', () => {
    const playbook = playbookWhen('alert.ot.operation == "write" && assets.dst.purdueLevel <= 0');
    const explanation = explainMatch(playbook, modbusWrite, resolver.resolve(modbusWrite));
    expect(explanation.matched).toBe(false);
    // The sample's title says nothing about a write; its operation is unknown.
    expect(explanation.triggers[0]?.failed).toEqual({
      filter: 'when',
      condition: 'alert.ot.operation == "write"',
      values: { 'alert.ot.operation': 'unknown' },
    });
  });

  it('reports severity and source filters, and agrees with the matcher when it matches', () => {
    const strict = playbookSchema.parse({
      id: 'p',
      name: 'P',
      version: 1,
      triggers: [{ minSeverity: 'critical' }, { sources: ['nozomi'] }, { when: 'assets.dst.kind == "plc"' }],
      steps: [{ id: 's', action: 'edr.contain_host', target: 'h' }],
    });
    const alert = trafficAlert(undefined, { ip: '10.20.1.7' }, { severity: 'high' });
    const matched = explainMatch(strict, alert, resolver.resolve(alert));
    expect(matched).toEqual({ playbookId: 'p', matched: true, triggers: [{ trigger: 2, matched: true }] });
    const laptop = trafficAlert(undefined, { ip: '10.30.5.42' }, { severity: 'high' });
    const missed = explainMatch(strict, laptop, resolver.resolve(laptop));
    expect(missed.matched).toBe(false);
    expect(missed.triggers.map((t) => t.failed?.filter)).toEqual(['minSeverity', 'sources', 'when']);
    expect(missed.triggers[0]?.failed?.values).toEqual({ 'alert.severity': 'high' });
    expect(missed.triggers[2]?.failed?.values).toEqual({ 'assets.dst.kind': 'workstation' });
  });

  it('an erroring condition is explained with its error', () => {
    const playbook = playbookWhen('alert.src.ip == "10.0.0.1"');
    const alert = buildAlert({});
    const explanation = explainMatch(playbook, alert);
    expect(explanation.matched).toBe(false);
    expect(explanation.triggers[0]?.failed?.error).toMatch(/cannot evaluate/);
    expect(explanation.triggers[0]?.failed?.values).toEqual({ 'alert.src.ip': null });
  });
});
