/**
 * The connector contract. A connector is one vendor's way of carrying out catalog actions, and
 * lives in one folder, `integrations/<vendor>/`:
 *
 *   manifest.ts    — pure data (importable by the policy engine): id, title, capability, the
 *                    actions it implements, its docs page. No HTTP, no Node built-ins.
 *   config.ts      — its zod configuration schema (`integrations.<id>` in the config file).
 *   client.ts      — the vendor API client (axios through createVendorHttpClient: retries with
 *                    backoff, Retry-After, secrets scrubbed from errors), responses validated by zod.
 *   index.ts       — the ConnectorDefinition: manifest + config schema + client factory + one
 *                    ActionHandler per implemented action.
 *   <id>.stub.ts   — a local server speaking the vendor's documented API, for tests (not built).
 *   <id>.test.ts   — its tests, including the shared conformance suite (test/connectors/).
 *   docs page      — docs/connectors/<id>.md: configuration and the exact API permissions needed.
 *
 * and one registration line in integrations/registry.ts. See docs/connectors/README.md.
 */
import type { z } from 'zod';
import type { ActionType } from '../src/actions/catalog';
import type { PolicyDecision } from '../src/policy/types';
import type { IntegrationLogger, RetryOptions } from './http';

/** What kind of tool a connector drives; the policy picks one connector per capability and decision. */
export type Capability = 'edr' | 'firewall' | 'identity' | 'ticketing' | 'ot-sensor' | 'enrichment';

/** Pure description of a connector (no I/O): what the policy engine and validation need. */
export interface ConnectorManifest<Id extends string = string> {
  /** Configuration key under `integrations` and the enforcement point's name, e.g. "crowdstrike". */
  id: Id;
  /** Product name for people, e.g. "CrowdStrike Falcon". */
  title: string;
  capability: Capability;
  /** Catalog actions this connector carries out. */
  actions: readonly ActionType[];
  /** Its documentation page (configuration, API permissions), relative to the repository root. */
  docs: string;
  /**
   * Firewall connectors: what the policy engine needs to name where a change applies and how it
   * lapses (rules 6 and 10), read from the connector's configuration without loading it.
   */
  enforcement?: FirewallEnforcement;
}

/** Where a firewall connector's change applies, and its time box. */
export interface FirewallEnforcement {
  /** The partition a change applies to (FortiGate VDOM, PAN-OS vsys): its config key and default. */
  scope: { configKey: string; default: string };
  /** The time box of a quarantine (rule 10): its config key (milliseconds), default and mechanism. */
  timeBox: { configKey: string; defaultMs: number; mechanism: string };
}

/** One call of an action: the decided action (target resolved, params, digest) and its ledger key. */
export interface ActionCall {
  decision: PolicyDecision;
  /** The action-ledger key of this execution: a retry after an interrupted attempt has the same. */
  ledgerKey?: string;
  /** Abandons the call (and its retries) when it aborts: a deadline or the activity's cancellation. */
  signal?: AbortSignal;
}

/** What an executed action reports: a one-line summary for people and details for the audit trail. */
export interface ActionResult {
  summary: string;
  /** Recorded in the audit trail: never credentials. `preChange` holds the pre-change read (rule 10). */
  details: Record<string, unknown>;
  /**
   * What later steps read as `steps.<id>.result` (e.g. an intel lookup's verdict): a small JSON
   * object, recorded with the action (src/engine/step-outcomes.ts bounds its size). Read-only
   * actions only — a change reports what it did in `details`.
   */
  result?: Record<string, unknown>;
}

export interface ActionHandler<Client> {
  /**
   * Carries the action out (after a pre-change read where the vendor allows one) and returns
   * what happened. Throws IntegrationError (http.ts): 401/403 `config`, 404 `not-found`, and
   * transient kinds marked retryable.
   */
  execute(client: Client, call: ActionCall): Promise<ActionResult>;
  /**
   * The post-check after an interrupted attempt (the action ledger saw the intent but no
   * outcome): the result when the change is already in place at the vendor — it is then not made
   * again — or undefined. `startedAt` is when the interrupted attempt recorded its intent.
   */
  observe?(client: Client, call: ActionCall & { startedAt: Date }): Promise<ActionResult | undefined>;
}

/** What every client factory gets besides its configuration (tests tune retries; a logger). */
export interface ClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

export interface ConnectorDefinition<
  Id extends string = string,
  Schema extends z.ZodType = z.ZodType,
  Client = unknown,
> {
  manifest: ConnectorManifest<Id>;
  /** `integrations.<id>`; absent from the configuration means the connector is off. */
  configSchema: Schema;
  createClient(config: z.output<Schema>, options: ClientOptions): Client;
  actions: Partial<Record<ActionType, ActionHandler<Client>>>;
}

/** Identity helper that keeps a definition's Config and Client types checked. */
export function defineConnector<Id extends string, Schema extends z.ZodType, Client>(
  definition: ConnectorDefinition<Id, Schema, Client>,
): ConnectorDefinition<Id, Schema, Client> {
  return definition;
}

/** A connector that is configured: its definition, configuration and client. */
export interface ConfiguredConnector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry: each entry is checked by defineConnector
  definition: ConnectorDefinition<string, z.ZodType, any>;
  config: unknown;
  client: unknown;
}

/** A ticket as people see it; `key` is what they search for (e.g. PLANT-123, INC0012345). */
export interface Ticket {
  key: string;
  id: string;
  /** True when the ticket is closed (done, resolved). */
  closed: boolean;
  /** The vendor's state word, when it gives one (e.g. "In Progress", "Resolved"). */
  state?: string;
}

/**
 * What every ticketing connector's client offers: tasks for people (rule 4 recommendations, a
 * logic compare, an owner's confirmation), found again by the ledger label after an interrupted
 * attempt (ticket creation is never idempotent at the vendor), closed inside a maintenance window.
 */
export interface TicketingClient {
  createTask(
    task: { summary: string; description: string; labels?: string[] },
    options?: { signal?: AbortSignal },
  ): Promise<Ticket>;
  findTaskByLabel(label: string, options?: { signal?: AbortSignal }): Promise<Ticket | undefined>;
  closeTask(key: string, comment: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * The task's current state, so people see whether a recommendation was done; undefined when
   * the vendor no longer has it. Optional: a connector without it shows its tasks' state unknown.
   */
  readTask?(key: string, options?: { signal?: AbortSignal }): Promise<Ticket | undefined>;
}
