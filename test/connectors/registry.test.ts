/**
 * The action registry holds together: every action someone must carry out has a registered
 * connector, every reversible action its compensation, every connector a docs page that names
 * its configuration, and each manifest says exactly what its handlers implement.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_CATALOG, ACTION_TYPES, PEOPLE_ACTIONS } from '../../src/actions/catalog';
import { actionParamsSchema } from '../../src/actions/params';
import { configSchema } from '../../src/config/schema';
import { CONNECTORS } from '../../integrations/registry';

const ROOT = join(__dirname, '..', '..');
const capabilityOf = (type: (typeof ACTION_TYPES)[number]) => {
  const executor = ACTION_CATALOG[type].integration;
  return executor === 'people' ? 'ticketing' : executor;
};

describe('the action registry', () => {
  it.each(ACTION_TYPES.map((t) => [t]))('%s has a connector of its capability', (type) => {
    const connectors = CONNECTORS.filter(
      (c) => c.manifest.capability === capabilityOf(type) && (c.manifest.actions as readonly string[]).includes(type),
    );
    expect(connectors.map((c) => c.manifest.id)).not.toEqual([]);
  });

  it('gives every reversible action a compensation that undoes it, in the catalog', () => {
    const missing = ACTION_TYPES.filter((t) => {
      const spec = ACTION_CATALOG[t];
      return spec.effect === 'reversible' && spec.integration !== 'people' && !('compensation' in spec);
    });
    expect(missing).toEqual([]);
    for (const type of ACTION_TYPES) {
      const spec = ACTION_CATALOG[type] as { compensation?: (typeof ACTION_TYPES)[number] };
      if (spec.compensation !== undefined) expect(ACTION_TYPES).toContain(spec.compensation);
    }
  });

  it('lists the people-only actions exactly', () => {
    expect([...PEOPLE_ACTIONS].sort()).toEqual(
      ACTION_TYPES.filter((t) => ACTION_CATALOG[t].integration === 'people').sort(),
    );
  });

  it.each(CONNECTORS.map((c) => [c.manifest.id, c] as const))(
    '%s: manifest, handlers, docs and configuration agree',
    (id, c) => {
      expect(Object.keys(c.actions).sort()).toEqual([...c.manifest.actions].sort());
      for (const type of c.manifest.actions) expect(capabilityOf(type)).toBe(c.manifest.capability);
      expect(c.manifest.docs).toBe(`docs/connectors/${id}.md`);
      expect(existsSync(join(ROOT, c.manifest.docs))).toBe(true);
      const page = readFileSync(join(ROOT, c.manifest.docs), 'utf8');
      expect(page).toMatch(/API permissions/i);
      expect(page).toContain(`  ${id}:`);
      const index = readFileSync(join(ROOT, 'docs', 'connectors', 'README.md'), 'utf8');
      expect(index).toContain(`(${id}.md)`);
      // Its configuration is a key of `integrations`.
      expect(Object.keys(configSchema.shape.integrations.unwrap().shape)).toContain(id);
    },
  );

  it('runs the conformance suite for every registered connector', () => {
    const files = [
      ...readdirSync(join(ROOT, 'test', 'connectors')).map((f) => join(ROOT, 'test', 'connectors', f)),
      ...readdirSync(join(ROOT, 'integrations'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => join(ROOT, 'integrations', f)),
    ].filter((f) => f.endsWith('.test.ts'));
    const source = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const covered = [...source.matchAll(/describeConformance\(\{\s*connector: '([a-z0-9-]+)'/g)].map((m) => m[1]);
    expect(CONNECTORS.map((c) => c.manifest.id).filter((id) => !covered.includes(id))).toEqual([]);
  });

  it('connector IDs are unique', () => {
    const ids = CONNECTORS.map((c) => c.manifest.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('action parameters', () => {
  it('docs/policy.md lists every action with exactly the parameters it takes', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'policy.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Action parameters'));
    for (const type of ACTION_TYPES) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${type}\``));
      expect(row).toBeDefined();
      // Names in backticks, outside the parenthesised notes (allowed values).
      const cell = (row ?? '').split('|')[2]!.replace(/\([^)]*\)/g, '');
      const documented = [...cell.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]);
      const declared = Object.keys(actionParamsSchema(type).shape).filter((n) => n !== 'connector');
      expect(new Set(documented)).toEqual(new Set(declared));
    }
  });
});
