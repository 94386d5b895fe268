/**
 * Playbooks recognise attacks, not phrasings (issue 15). Every shipped scenario playbook is
 * checked against alerts worded as the vendors word them, in several vendor formats, and
 * against near misses worded almost the same that must not start it. Each alert goes the
 * production way: vendor body → normalizer → endpoints resolved against the example
 * inventory → matchingPlaybooks over the shipped playbooks/ directory; the set of playbooks
 * it starts must equal the expected set exactly.
 *
 * Data: test/fixtures/phrasing/<scenario>.json (one file per scenario, alerts and near misses).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { getNormalizer } from '../../src/intake/normalizers';
import { AlertAssetResolver } from '../../src/playbooks/alert-assets';
import { explainMatch } from '../../src/playbooks/explain';
import { loadPlaybooks } from '../../src/playbooks/loader';
import { matchingPlaybooks } from '../../src/playbooks/matcher';
import type { Playbook } from '../../src/playbooks/schema';
import { exampleConfig } from '../support/example-config';

const REPO_ROOT = join(__dirname, '..', '..');
const CORPUS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'phrasing');

const FORMATS = ['splunk', 'elastic', 'sentinel', 'wazuh', 'qradar', 'defender-iot', 'nozomi', 'generic'] as const;
const SCENARIOS = [
  's1-ransomware-office-laptop',
  's2-unauthorized-plc-programming',
  's3-new-device-level2',
  's4-modbus-write-it-to-plc',
  's5-plc-stop-command',
  's6-traffic-to-sis',
  's7-unknown-ip-target',
] as const;

/** Shipped playbooks beyond the scenarios, with triggers specific enough that no corpus alert starts them. */
const EXTRA_PLAYBOOKS = ['enrich-then-contain'] as const;

/** The corpus may not shrink silently: per scenario, at least this much. */
const MIN_ALERTS = 4;
const MIN_FORMATS = 3;
const MIN_NEAR_MISSES = 2;

const caseSchema = z.object({
  name: z.string().min(1),
  format: z.enum(FORMATS),
  /** Exactly the shipped playbooks this alert must start (order irrelevant). */
  expect: z.array(z.enum(SCENARIOS)),
  /** Near misses: why the scenario must not match. */
  why: z.string().optional(),
  body: z.unknown(),
});
const scenarioFileSchema = z.object({
  scenario: z.enum(SCENARIOS),
  meaning: z.string().min(1),
  alerts: z.array(caseSchema),
  nearMisses: z.array(caseSchema.required({ why: true })),
});
type Case = z.infer<typeof caseSchema>;
type ScenarioFile = z.infer<typeof scenarioFileSchema>;

const corpus: ScenarioFile[] = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => scenarioFileSchema.parse(JSON.parse(readFileSync(join(CORPUS_DIR, f), 'utf8'))));

const resolver = new AlertAssetResolver(exampleConfig());
let playbooks: Playbook[];

beforeAll(async () => {
  playbooks = await loadPlaybooks(join(REPO_ROOT, 'playbooks'));
});

/** The ids of the shipped playbooks each alert of the body starts, with the reasons on a miss. */
function run(testCase: Case): { matched: string[]; explain: () => string }[] {
  const normalize = getNormalizer(testCase.format);
  if (normalize === undefined) throw new Error(`no normalizer for ${testCase.format}`);
  const raw = JSON.stringify(testCase.body);
  const alerts = normalize(testCase.body, {
    source: testCase.format,
    rawSha256: createHash('sha256').update(raw).digest('hex'),
    receivedAt: '2026-11-20T11:00:00.000Z',
  });
  return alerts.map((alert) => {
    const assets = resolver.resolve(alert);
    const matched = matchingPlaybooks(playbooks, alert, assets).map((p) => p.id);
    return {
      matched,
      explain: () =>
        JSON.stringify(
          {
            meaning: { network: alert.network, ot: alert.ot, attacks: alert.attacks, category: alert.category },
            severity: alert.severity,
            src: alert.src,
            dst: alert.dst,
            hosts: alert.hosts,
            provenance: alert.provenance,
            assets,
            playbooks: playbooks.map((p) => explainMatch(p, alert, assets)),
          },
          null,
          2,
        ),
    };
  });
}

function expectExactly(testCase: Case): void {
  const results = run(testCase);
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    const got = [...result.matched].sort();
    const wanted = [...testCase.expect].sort();
    if (JSON.stringify(got) !== JSON.stringify(wanted)) {
      throw new Error(
        `${testCase.format} "${testCase.name}": started [${got.join(', ')}], expected [${wanted.join(', ')}]\n${result.explain()}`,
      );
    }
  }
}

describe('phrasing corpus: shipped playbooks trigger on meaning', () => {
  it('covers every scenario with enough alerts, formats and near misses', () => {
    expect(corpus.map((f) => f.scenario).sort()).toEqual([...SCENARIOS]);
    for (const file of corpus) {
      const label = file.scenario;
      expect({ label, alerts: file.alerts.length >= MIN_ALERTS }).toEqual({ label, alerts: true });
      const formats = new Set(file.alerts.map((a) => a.format));
      expect({ label, formats: formats.size >= MIN_FORMATS }).toEqual({ label, formats: true });
      expect({ label, nearMisses: file.nearMisses.length >= MIN_NEAR_MISSES }).toEqual({ label, nearMisses: true });
      // An alert of the scenario starts its playbook; a near miss does not.
      for (const a of file.alerts)
        expect({ name: a.name, starts: a.expect.includes(file.scenario) }).toEqual({
          name: a.name,
          starts: true,
        });
      for (const m of file.nearMisses)
        expect({ name: m.name, starts: m.expect.includes(file.scenario) }).toEqual({ name: m.name, starts: false });
    }
  });

  it('the shipped playbooks are the seven scenarios and the enrichment playbook', () => {
    // enrich-then-contain starts only on malware with a file hash: no corpus alert may start it
    // (it is in no `expect` list, so expectExactly fails if one does).
    expect(playbooks.map((p) => p.id).sort()).toEqual([...EXTRA_PLAYBOOKS, ...SCENARIOS].sort());
  });

  for (const file of corpus) {
    describe(`${file.scenario}: ${file.meaning}`, () => {
      for (const testCase of file.alerts)
        it(`starts ${testCase.expect.join(' + ')}: ${testCase.format} — ${testCase.name}`, () =>
          expectExactly(testCase));
      for (const testCase of file.nearMisses)
        it(`near miss (${testCase.why}): ${testCase.format} — ${testCase.name}`, () => expectExactly(testCase));
    });
  }
});
