import type { temporal } from '@temporalio/proto';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from '../logging';
import { INTERLOCK_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

type OperatorService = temporal.api.operatorservice.v1.OperatorService;

/** The `temporal` CLI command an operator runs when Interlock may not register them itself. */
export function registrationHint(namespace: string): string {
  const flags = INTERLOCK_SEARCH_ATTRIBUTES.map(
    (key) =>
      `--name ${key.name} --type ${key.type === 'KEYWORD_LIST' ? 'KeywordList' : key.type[0] + key.type.slice(1).toLowerCase()}`,
  );
  return `temporal operator search-attribute create --namespace ${namespace} ${flags.join(' ')}`;
}

/**
 * Makes sure Interlock's search attributes (src/workflows/search-attributes.ts) exist in the
 * namespace: adds the missing ones through the operator service (self-hosted and dev servers
 * allow it). Where that is refused (Temporal Cloud: attributes are created in its console or
 * with tcld; a server whose operator API is closed) it logs how to register them and answers
 * false: incidents are then started and run without search attributes (an upsert of an
 * unregistered attribute would fail the workflow task), never stopped.
 */
export async function ensureSearchAttributes(
  connection: { operatorService: OperatorService },
  namespace: string,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<boolean> {
  const wanted = new Map(INTERLOCK_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]));
  const missing = async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return [...wanted.keys()].filter((name) => customAttributes?.[name] === undefined);
  };
  try {
    let absent = await missing();
    if (absent.length > 0) {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(
            absent.map((name) => [name, encodeSearchAttributeIndexedValueType(wanted.get(name)) as number]),
          ),
        });
      } catch (error) {
        // Another process (the API and the worker start together) may have added them first.
        if ((await missing()).length > 0) throw error;
      }
      absent = await missing();
      if (absent.length > 0) throw new Error(`still missing after registration: ${absent.join(', ')}`);
      log.info({ namespace, added: [...wanted.keys()] }, 'Temporal search attributes registered');
    }
    return true;
  } catch (error) {
    log.warn(
      { namespace, err: error, register: registrationHint(namespace) },
      'Temporal search attributes could not be registered: incidents run without them (the Temporal UI cannot filter ' +
        'them) until an operator registers them (see `register`; Temporal Cloud: its console or tcld) and Interlock restarts',
    );
    return false;
  }
}
