import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { ServiceNowConfig } from './config';
import { LEDGER_LABEL_PATTERN } from '../action-helpers';
import type { Ticket } from '../connector';
import {
  createVendorHttpClient,
  IntegrationError,
  parseResponse,
  signalOf,
  type CallOptions,
  type IntegrationLogger,
  type RetryOptions,
} from '../http';

/**
 * ServiceNow as the ticketing integration, over the Table API (`/api/now/table/{table}`) with
 * basic auth: a task for people is a record of the configured task table (`incident`, or
 * `sn_si_incident` with Security Incident Response).
 *
 *   - create:  `POST /api/now/table/{table}` → 201 `{result: {sys_id, number, state, …}}`.
 *   - find:    `GET  /api/now/table/{table}?sysparm_query=correlation_id=<label>` → 200 `{result: [...]}`.
 *              Creating a record is not idempotent, so the ledger label is stored in the task's
 *              `correlation_id` (the field the task table has for an external system's ID) and
 *              this query is the read that tells whether it was already created.
 *   - read:    `GET  /api/now/table/{table}?sysparm_query=number=<number>` (state and its label).
 *   - close:   `PATCH /api/now/table/{table}/{sys_id}` `{state, close_code, close_notes}` → 200.
 *
 * `sysparm_display_value=all` makes every field `{value, display_value}`: the state's number
 * decides done, its label is what people read.
 */

export type { ServiceNowConfig } from './config';

export interface ServiceNowClientOptions {
  retry?: Partial<RetryOptions>;
  logger?: IntegrationLogger;
}

const INTEGRATION = 'servicenow';
export const SERVICENOW_TABLE_PATH = '/api/now/table';
const FIELDS = 'sys_id,number,state';

/** A field as the Table API returns it: its value, or `{value, display_value}` with display_value=all. */
const fieldSchema = z.union([
  z.string(),
  z.object({ value: z.string(), display_value: z.string().nullable().optional() }).loose(),
]);
const recordSchema = z.object({ sys_id: fieldSchema, number: fieldSchema, state: fieldSchema }).loose();
const oneSchema = z.object({ result: recordSchema });
const listSchema = z.object({ result: z.array(recordSchema) });

/** Encoded-query values Interlock sends: one word, so `^` (AND) or `=` can never be injected. */
const wordSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'one word of letters, digits, - and _');

const valueOf = (field: z.output<typeof fieldSchema>) => (typeof field === 'string' ? field : field.value);
const labelOf = (field: z.output<typeof fieldSchema>) =>
  typeof field === 'string' ? undefined : (field.display_value ?? undefined);

function checkWord(what: string, value: string): void {
  const parsed = wordSchema.safeParse(value);
  if (!parsed.success)
    throw new IntegrationError(`${INTEGRATION}: invalid ${what}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      integration: INTEGRATION,
      kind: 'invalid-input',
      retryable: false,
    });
}

export class ServiceNowClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly config: ServiceNowConfig,
    options: ServiceNowClientOptions = {},
  ) {
    this.http = createVendorHttpClient(INTEGRATION, config, [config.password], options);
  }

  private get auth() {
    return { username: this.config.username, password: this.config.password };
  }

  private get tablePath() {
    return `${SERVICENOW_TABLE_PATH}/${this.config.table}`;
  }

  private ticket(record: z.output<typeof recordSchema>): Ticket {
    const state = valueOf(record.state);
    return {
      key: valueOf(record.number),
      id: valueOf(record.sys_id),
      closed: this.config.doneStates.includes(state),
      state: labelOf(record.state) ?? state,
    };
  }

  async createTask(
    task: { summary: string; description: string; labels?: string[] },
    options: CallOptions = {},
  ): Promise<Ticket> {
    const labels = task.labels ?? [];
    const ledger = labels.find((l) => LEDGER_LABEL_PATTERN.test(l));
    const others = labels.filter((l) => l !== ledger);
    const response = await this.http.post<unknown>(
      this.tablePath,
      {
        ...this.config.fields,
        // short_description is 160 characters in the base instance.
        short_description: task.summary.slice(0, 160),
        description: others.length === 0 ? task.description : `${task.description}\nLabels: ${others.join(', ')}`,
        ...(ledger === undefined ? {} : { correlation_id: ledger }),
        correlation_display: 'Interlock',
      },
      {
        params: { sysparm_fields: FIELDS, sysparm_display_value: 'all', sysparm_exclude_reference_link: true },
        auth: this.auth,
        headers: { 'Content-Type': 'application/json' },
        ...signalOf(options),
      },
    );
    return this.ticket(parseResponse(oneSchema, response.data, INTEGRATION, 'create record').result);
  }

  /** The record of this table whose correlation_id is `label` (the oldest, should there be two). */
  async findTaskByLabel(label: string, options: CallOptions = {}): Promise<Ticket | undefined> {
    checkWord('label', label);
    return this.first(`correlation_id=${label}^ORDERBYsys_created_on`, options);
  }

  /** A record by its number (e.g. INC0010001), with its state; undefined when there is none. */
  async readTask(key: string, options: CallOptions = {}): Promise<Ticket | undefined> {
    checkWord('number', key);
    return this.first(`number=${key}`, options);
  }

  /** Closes a record (the configured close state and code), the comment as its close notes. */
  async closeTask(key: string, comment: string, options: CallOptions = {}): Promise<void> {
    const record = await this.readTask(key, options);
    if (record === undefined)
      throw new IntegrationError(`${INTEGRATION}: no ${this.config.table} record ${key}`, {
        integration: INTEGRATION,
        kind: 'http',
        status: 404,
        retryable: false,
      });
    await this.http.patch(
      `${this.tablePath}/${encodeURIComponent(record.id)}`,
      {
        state: this.config.closeState,
        ...(this.config.closeCode === undefined ? {} : { close_code: this.config.closeCode }),
        close_notes: comment,
      },
      {
        params: { sysparm_fields: FIELDS },
        auth: this.auth,
        headers: { 'Content-Type': 'application/json' },
        ...signalOf(options),
      },
    );
  }

  private async first(query: string, options: CallOptions): Promise<Ticket | undefined> {
    const response = await this.http.get<unknown>(this.tablePath, {
      params: {
        sysparm_query: query,
        sysparm_fields: FIELDS,
        sysparm_display_value: 'all',
        sysparm_exclude_reference_link: true,
        sysparm_limit: 1,
      },
      auth: this.auth,
      ...signalOf(options),
    });
    const [record] = parseResponse(listSchema, response.data, INTEGRATION, 'query').result;
    return record === undefined ? undefined : this.ticket(record);
  }
}
