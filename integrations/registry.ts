/**
 * Every connector Interlock ships, one line each. Adding a connector: its folder
 * (integrations/<vendor>/, see connector.ts) and one line here — docs/connectors/README.md.
 * The configuration (`integrations.<id>`), the policy's choice of enforcement point, execution
 * and the checks of test/connectors/registry.test.ts all read this list.
 */
import type { z } from 'zod';
import type { ConnectorManifest } from './connector';
import { crowdstrike } from './crowdstrike';
import { defenderIot } from './defender-iot';
import { defenderEndpoint } from './defender-endpoint';
import { entraId } from './entra-id';
import { fortigate } from './fortigate';
import { jira } from './jira';
import { misp } from './misp';
import { nozomi } from './nozomi';
import { okta } from './okta';
import { panos } from './panos';
import { sentinelone } from './sentinelone';
import { servicenow } from './servicenow';
import { virustotal } from './virustotal';

export const CONNECTORS = [
  crowdstrike,
  defenderEndpoint,
  sentinelone,
  fortigate,
  panos,
  okta,
  jira,
  entraId,
  servicenow,
  virustotal,
  misp,
  nozomi,
  defenderIot,
] as const;

type Registered = (typeof CONNECTORS)[number];
export type ConnectorId = Registered['manifest']['id'];

/** The `integrations` configuration shape: each connector's schema, optional. */
export type ConnectorConfigShape = {
  [C in Registered as C['manifest']['id']]: z.ZodOptional<C['configSchema']>;
};

export function connectorConfigShape(): ConnectorConfigShape {
  return Object.fromEntries(CONNECTORS.map((c) => [c.manifest.id, c.configSchema.optional()])) as ConnectorConfigShape;
}

export const CONNECTOR_MANIFESTS: readonly ConnectorManifest[] = CONNECTORS.map((c) => c.manifest);

export function connectorById(id: string): Registered | undefined {
  return CONNECTORS.find((c) => c.manifest.id === id);
}
