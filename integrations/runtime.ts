/**
 * The connectors a process has: one client per configured connector of the registry, and which
 * connector carries out a decided action — the one its enforcement point names (the policy chose
 * it, and the action digest binds it).
 */
import type { ActionType } from '../src/actions/catalog';
import type { PolicyDecision } from '../src/policy/types';
import type {
  BackgroundContext,
  BackgroundTask,
  Capability,
  ClientOptions,
  ConfiguredConnector,
  TicketingClient,
} from './connector';
import { CONNECTORS } from './registry';

/** Per connector ID, client options (tests tune retries and clocks; a logger). */
export type ConnectorClientOptions = Partial<Record<string, ClientOptions & Record<string, unknown>>>;

/** Enforcement points recorded before the registry named capabilities, not connectors. */
const LEGACY_POINTS: Readonly<Record<string, Capability>> = {
  identity: 'identity',
  ticketing: 'ticketing',
  people: 'ticketing',
};

export class Connectors {
  private readonly byId = new Map<string, ConfiguredConnector>();

  constructor(integrations: Readonly<Record<string, unknown>>, clientOptions: ConnectorClientOptions = {}) {
    for (const definition of CONNECTORS) {
      const config = integrations[definition.manifest.id];
      if (config === undefined) continue;
      const options = clientOptions[definition.manifest.id] ?? {};
      // The configuration was validated against this very schema when it was loaded.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any
      const client: unknown = definition.createClient(config as any, options);
      this.byId.set(definition.manifest.id, { definition, config, client });
    }
  }

  get(id: string): ConfiguredConnector | undefined {
    return this.byId.get(id);
  }

  /** Configured connectors of a capability (registry order), optionally only those implementing an action. */
  ofCapability(capability: Capability, action?: ActionType): ConfiguredConnector[] {
    return [...this.byId.values()].filter(
      (c) =>
        c.definition.manifest.capability === capability &&
        (action === undefined || c.definition.manifest.actions.includes(action)),
    );
  }

  /** The ticketing connector's client (tasks for people), when one is configured. */
  ticketing(): { id: string; client: TicketingClient } | undefined {
    const connector = this.ofCapability('ticketing')[0];
    return connector === undefined
      ? undefined
      : { id: connector.definition.manifest.id, client: connector.client as TicketingClient };
  }

  /**
   * The connector that carries out a decided action: the one its enforcement point names
   * (`<connector>` or `<connector>:<detail>`), or for decisions recorded before connectors were
   * named, the configured connector of that capability. Undefined when it is not configured.
   */
  forDecision(decision: PolicyDecision): ConfiguredConnector | undefined {
    const id = decision.enforcementPoint.split(':', 1)[0] ?? '';
    const legacy = LEGACY_POINTS[id];
    if (legacy !== undefined) return this.ofCapability(legacy, decision.action.type)[0];
    return this.byId.get(id);
  }

  /**
   * Starts every configured connector's background work (connector.ts `background`), e.g. the
   * maintenance-window sync; the worker process calls it once and stops the tasks at shutdown.
   */
  startBackground(context: BackgroundContext): BackgroundTask[] {
    const tasks: BackgroundTask[] = [];
    for (const { definition, config, client } of this.byId.values()) {
      const task = definition.background?.(client, config, context);
      if (task !== undefined) tasks.push(task);
    }
    return tasks;
  }
}
