/**
 * JSON Schema of the playbook format, generated from the zod schema so editors
 * (yaml-language-server) autocomplete and flag errors while authors type. CEL syntax,
 * duplicate step ids and other refinements are only checked by the loader.
 */
import { z } from 'zod';
import { playbookSchema } from './schema';

/** Path of the committed schema, relative to the repository root. */
export const PLAYBOOK_JSON_SCHEMA_PATH = 'playbooks/playbook.schema.json';

export function playbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(playbookSchema, {
    // Describe what authors write: defaulted fields (onFailure) are optional.
    io: 'input',
    // Draft 7 is what YAML editors (yaml-language-server) support best.
    target: 'draft-7',
  });
  return {
    ...schema,
    title: 'Interlock playbook',
    description:
      'Triggers, then steps. Approvals are not part of a playbook: the engine decides them per action (ot-safety.md).',
  };
}
