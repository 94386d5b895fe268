export * from './http';
export * from './crowdstrike/client';
export * from './fortigate/client';
export * from './jira/client';
export * from './okta/client';
export * from './panos/client';
export * from './virustotal/client';
export * from './misp/client';
export * from './intel-lookup';
export * from './entra-id/client';
export * from './servicenow/client';

export * from './connector';
export * from './action-helpers';
export * from './runtime';
export { CONNECTORS, CONNECTOR_MANIFESTS, connectorById, type ConnectorId } from './registry';
export { FortiGateConnection } from './fortigate';
export { PanosConnection } from './panos';
