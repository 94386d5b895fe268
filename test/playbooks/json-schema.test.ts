import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ACTION_TYPES } from '../../src/actions/catalog';
import { PLAYBOOK_JSON_SCHEMA_PATH, playbookJsonSchema } from '../../src/playbooks/json-schema';

const ROOT = join(__dirname, '..', '..');

describe('playbook JSON schema', () => {
  it('the committed playbooks/playbook.schema.json equals a freshly generated one (run scripts/gen-playbook-schema.ts)', async () => {
    const committed = JSON.parse(await readFile(join(ROOT, PLAYBOOK_JSON_SCHEMA_PATH), 'utf8')) as unknown;
    // Parsed, so formatting (Prettier) does not matter; toStrictEqual also catches extra keys.
    expect(committed).toStrictEqual(playbookJsonSchema());
  });

  it('offers the catalog actions, forbids unknown keys and leaves defaulted fields optional', () => {
    const schema = playbookJsonSchema() as {
      additionalProperties: unknown;
      required: string[];
      properties: {
        steps: {
          items: { properties: { action: { enum: string[] } }; required: string[]; additionalProperties: unknown };
        };
      };
    };
    const step = schema.properties.steps.items;
    expect(step.properties.action.enum).toEqual(ACTION_TYPES);
    expect(step.additionalProperties).toBe(false);
    expect(step.required).toEqual(['id', 'action', 'target']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['id', 'name', 'version', 'triggers', 'steps']);
  });

  it('every shipped playbook points editors at the schema on its first line', async () => {
    for (const file of ['s1-ransomware-office-laptop.yaml', 's4-modbus-write-it-to-plc.yaml']) {
      const text = await readFile(join(ROOT, 'playbooks', file), 'utf8');
      expect(text.split('\n', 1)[0]).toBe('# yaml-language-server: $schema=./playbook.schema.json');
      expect(parseYaml(text)).toHaveProperty('id');
    }
  });
});
