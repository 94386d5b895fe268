import { z } from 'zod';
import { httpIntegration, nonEmpty } from '../config-helpers';

/**
 * Per table, how a task is closed and which states mean done. Incident (`incident`): Resolved
 * 6, Closed 7, Canceled 8. Security Incident Response (`sn_si_incident`): Closed 3, Cancelled 7.
 */
interface TableDefaults {
  closeState: string;
  doneStates: string[];
  closeCode?: string;
}
const INCIDENT: TableDefaults = { closeState: '6', doneStates: ['6', '7', '8'], closeCode: 'Solution provided' };
const TABLE_DEFAULTS: Readonly<Record<string, TableDefaults>> = {
  incident: INCIDENT,
  sn_si_incident: { closeState: '3', doneStates: ['3', '7'] },
};
const fieldName = z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'a ServiceNow column name');
const stateValue = z.string().regex(/^-?\d{1,6}$/, 'a state\'s numeric value, e.g. "6"');

/**
 * `integrations.servicenow`: tasks for people (recommendations, rule 4) become records of a
 * task table (`incident`, or `sn_si_incident` with Security Incident Response), created over the
 * Table API with basic auth by an integration user (docs/connectors/servicenow.md).
 */
export const servicenowConfigSchema = z
  .strictObject({
    ...httpIntegration,
    username: nonEmpty,
    password: nonEmpty,
    table: fieldName.default('incident'),
    /** The state a task is closed with (rule 13: inside a maintenance window); default per table. */
    closeState: stateValue.optional(),
    /** close_code when closing (one of the table's choices); default per table. */
    closeCode: nonEmpty.optional(),
    /** States that mean the task is done; default per table. */
    doneStates: z.array(stateValue).min(1).optional(),
    /** Further fields of every new record, e.g. assignment_group, caller_id, category. */
    fields: z.record(fieldName, z.string()).default({}),
  })
  .transform((c) => {
    const defaults = TABLE_DEFAULTS[c.table] ?? INCIDENT;
    const closeCode = c.closeCode ?? defaults.closeCode;
    return {
      ...c,
      closeState: c.closeState ?? defaults.closeState,
      doneStates: c.doneStates ?? defaults.doneStates,
      ...(closeCode === undefined ? {} : { closeCode }),
    };
  });
export type ServiceNowConfig = z.output<typeof servicenowConfigSchema>;
