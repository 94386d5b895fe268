import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import type { Alert } from '../../alerts/alert';
import type { InterlockConfig } from '../../config/schema';
import type { SourceConfig } from '../../intake/auth';
import { AlertCompletion } from '../../intake/completion';
import { correlationKey, correlationReadsTime, incidentIdFor } from '../../intake/correlation';
import { getNormalizer, NormalizationError, type NormalizeContext } from '../../intake/normalizers';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../intake/json-depth';
import { NormalizedAlertCache, type CachedAlert } from '../../intake/normalized-alert-cache';
import { sha256Hex } from '../../intake/raw-body';
import { RawBodyStore } from '../../intake/raw-body-store';
import { parseUntrustedJson } from '../../intake/untrusted-text';
import type { Logger } from '../../logging';
import { currentTraceContext, inBatchSpan, nameServerSpan } from '../../tracing/spans';
import { IntakeMetrics } from '../../metrics/intake';
import { alertBatchSignal, type AlertDeliveries, type IncidentInput } from '../../workflows/definitions';
import { searchAttributePairs, widenFacets, type IncidentFacets } from '../../workflows/search-attributes';
import { AlertAssetResolver, zonesOf } from '../../playbooks/alert-assets';
import type * as workflows from '../../workflows';
import { ApiError } from '../common/api-error';
import { jsonContentTypeProblem } from '../common/body-parsers';
import { CopyLedger, alertPayloads, copyWindowFor, type Copy } from './copy-ledger';
import { KeyedBatcher, OverloadedError } from './keyed-batcher';
import { SignalWithStartClient } from './signal-with-start';
import type { Services } from '../../runtime/services';
import { CONFIG, LOGGER, SERVICES, TEMPORAL_CLIENT } from '../tokens';
import type { WebhookSource } from './webhook-auth';

/** A Temporal call that has not answered in this time is treated as not accepted (503). */
const TEMPORAL_CALL_TIMEOUT_MS = 10_000;
/** Batches stay well under Temporal's 2 MB payload limit. */
const MAX_BATCH_BYTES = 512 * 1024;
/**
 * A call that carried this many deliveries for one incident means a storm: the incident's next
 * call waits for the storm's senders — as many deliveries as that call carried plus those that
 * arrived meanwhile — or a full batch, up to STORM_LINGER_MS (keyed-batcher.ts). Each call
 * costs Temporal, the worker and this process a workflow task's worth whatever it carries, so
 * fewer, larger calls leave more of the machine to the HTTP work (docs/benchmarks.md, "Storm:
 * fewer, larger calls"). An incident's single alert is never held.
 */
const STORM_BATCH = 32;
const STORM_LINGER_MS = 100;
/** Recent distinct deliveries whose normalized alerts are kept for identical re-deliveries. */
const NORMALIZED_CACHE_ENTRIES = 1_000;
/**
 * The incident workflow's type: a name the worker's workflow module exports (checked at compile
 * time), with the workflow's own type for its input. Type-only: the API loads no workflow code.
 */
const INCIDENT_WORKFLOW = 'incidentWorkflow' satisfies keyof typeof workflows;
type IncidentWorkflow = (typeof workflows)[typeof INCIDENT_WORKFLOW];

interface PendingDelivery {
  alert: Alert;
  correlationKey: string;
  receivedAt: string;
  /** The alert's size as JSON (the batch's size budget). */
  size: number;
  /** The delivery's trace (its HTTP server span), when traced: the batch's Temporal call joins the first one's. */
  trace: Context;
}

/** Where an alert goes and what it weighs: derived from the alert alone, so the same for every copy. */
interface AlertRoute {
  correlationKey: string;
  incidentId: string;
  size: number;
}

function serializedSize(item: unknown): number {
  return (item as PendingDelivery).size;
}

/**
 * `new Date().toISOString()`, made once per millisecond: a storm asks for thousands a second,
 * and formatting a date costs more than the rest of a re-delivery's bookkeeping.
 */
let lastReceipt = { ms: NaN, iso: '' };
function receiptTime(): string {
  const ms = Date.now();
  if (ms !== lastReceipt.ms) lastReceipt = { ms, iso: new Date(ms).toISOString() };
  return lastReceipt.iso;
}

export interface AcceptedAlert {
  incidentId: string;
  workflowId: string;
  /** True when the alert joined an incident that was already open. */
  deduplicated: boolean;
}

export interface IntakeResponse extends AcceptedAlert {
  /** One entry per alert when a delivery carried several (e.g. Elastic). */
  alerts?: (AcceptedAlert & { alertUid: string })[];
}

/**
 * The 202's body: the first alert's incident, and one entry per alert (its UID) when the delivery
 * carried several. `accepted` holds one entry per alert, in the delivery's order.
 */
function responseOf(accepted: AcceptedAlert[], alerts: CachedAlert[]): IntakeResponse {
  const [first] = accepted as [AcceptedAlert];
  const response: IntakeResponse = {
    incidentId: first.incidentId,
    workflowId: first.workflowId,
    deduplicated: first.deduplicated,
  };
  if (accepted.length > 1)
    response.alerts = accepted.map((a, i) => ({ ...a, alertUid: (alerts[i] as CachedAlert).alert.uid }));
  return response;
}

/** What intake reads of an HTTP request; the body is the raw bytes (see body-parsers.ts). */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * Webhook intake, once WebhookAuthenticator has authenticated the source (webhook-route.ts):
 * parse, normalize, then hand each alert to its incident workflow. Answers only after Temporal
 * has durably accepted every alert of the delivery — or, for a copy of alerts Temporal accepted
 * moments ago, once the copy ledger has committed the delivery (copy-ledger.ts).
 */
@Injectable()
export class WebhooksService implements OnModuleDestroy {
  private readonly batcher: KeyedBatcher<PendingDelivery, AcceptedAlert>;
  private readonly normalized = new NormalizedAlertCache(NORMALIZED_CACHE_ENTRIES);
  /**
   * Routes of the alerts the cache hands out (frozen objects, shared by every identical
   * re-delivery), so a storm's copies skip correlation hashing and serialization. Weak: an
   * entry goes with its alert when the cache evicts it. Alerts are cached per source, so
   * one alert object always meets the same `correlationKey` configuration.
   */
  private readonly routes = new WeakMap<Alert, AlertRoute>();
  private readonly incidents: SignalWithStartClient;
  private readonly completion: AlertCompletion;
  private readonly assets: AlertAssetResolver;
  private readonly rawBodies: RawBodyStore;
  /** Copies (re-deliveries of alerts Temporal accepted moments ago) go here, not to Temporal. */
  private readonly copies: CopyLedger;
  private lastContentType = { header: '', problem: jsonContentTypeProblem('') };
  private lastBody: { body: Buffer; sha256: string } | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SERVICES) services: Services,
  ) {
    this.rawBodies = RawBodyStore.fromConfig(services.pool, config, log);
    this.incidents = new SignalWithStartClient(temporal);
    this.completion = new AlertCompletion(config.integrations, log);
    this.assets = new AlertAssetResolver(config);
    this.copies = new CopyLedger(
      services.pool,
      alertPayloads(temporal.options.loadedDataConverter),
      (workflowId, correlationKey, deliveries) => this.signal(workflowId, correlationKey, deliveries),
      { log, copyWindowMs: copyWindowFor(config.incidents.closeAfterIdle) },
    );
    this.copies.start();
    this.batcher = new KeyedBatcher((workflowId, items) => this.deliverBatch(workflowId, items), {
      maxPending: config.intake.maxPendingAlerts,
      maxBatch: config.intake.maxBatchAlerts,
      maxConcurrentCalls: config.intake.maxConcurrentCalls,
      maxBatchSize: MAX_BATCH_BYTES,
      sizeOf: serializedSize,
      linger: { afterBatch: STORM_BATCH, ms: STORM_LINGER_MS },
    });
  }

  async receive({ name: sourceName, config: source }: WebhookSource, req: WebhookRequest): Promise<IntakeResponse> {
    nameServerSpan('POST', '/webhooks/:source', { 'interlock.source': sourceName });
    const trace = currentTraceContext();
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const contentTypeProblem = this.contentTypeProblem(String(req.headers['content-type'] ?? ''));
    if (contentTypeProblem !== undefined) throw new ApiError(415, 'unsupported_media_type', contentTypeProblem);
    if (rawBody.length === 0) throw new ApiError(400, 'empty_body', 'the request body is empty');

    const rawSha256 = this.bodySha256(rawBody);
    const receivedAt = receiptTime();
    // An identical re-delivery (same source, same bytes) reuses the alerts the first one normalized to.
    const cached = this.normalized.lookup(sourceName, rawSha256, receivedAt);
    const alerts =
      cached ??
      (await this.normalizeAndComplete(sourceName, source, rawBody, { source: sourceName, rawSha256, receivedAt })).map(
        (alert) => ({ alert, original: alert }),
      );
    // Refused whole, before anything reaches Temporal: a delivery is never half accepted.
    const maxAlerts = this.config.intake.maxAlertsPerDelivery;
    if (alerts.length > maxAlerts) {
      this.log.warn(
        { source: sourceName, alerts: alerts.length, limit: maxAlerts },
        'webhook refused: too many alerts',
      );
      throw new ApiError(
        413,
        'too_many_alerts',
        `the delivery carries ${alerts.length} alerts; the limit is ${maxAlerts} per delivery (intake.maxAlertsPerDelivery)`,
      );
    }

    // Stored before the 202, or kept for PostgreSQL's return; never a refusal (raw-body-store.ts).
    // A body this process stored recently: no I/O.
    const rawStored = this.rawBodies.save({ sha256: rawSha256, source: sourceName, receivedAt, body: rawBody });
    if (rawStored !== undefined) await rawStored;

    const copies =
      cached === undefined || !this.config.intake.copyLedger ? undefined : this.copiesOf(cached, source, receivedAt);
    if (copies !== undefined && (await this.copies.record(copies))) {
      // Every alert is in Temporal already, this delivery in the copy ledger (forwarded within ~1 s).
      IntakeMetrics.deduplicated(sourceName);
      return responseOf(
        copies.map((c) => ({ incidentId: c.workflowId, workflowId: c.workflowId, deduplicated: true })),
        alerts,
      );
    }

    const submission = ({ alert, original }: CachedAlert) => {
      const route = this.route(alert, original, source);
      return {
        key: route.incidentId,
        item: { alert, correlationKey: route.correlationKey, receivedAt, size: route.size, trace },
      };
    };
    let accepted: AcceptedAlert[];
    try {
      if (alerts.length === 1) {
        // Most deliveries carry one alert: no array of promises to wait for.
        const { key, item } = submission(alerts[0] as CachedAlert);
        accepted = [await this.batcher.submit(key, item)];
      } else accepted = await this.batcher.submitAll(alerts.map(submission));
    } catch (error) {
      if (error instanceof OverloadedError) {
        this.log.warn({ source: sourceName, pending: error.pending }, 'webhook refused: intake saturated');
        throw new ApiError(429, 'overloaded', 'too many alerts in flight; retry later', undefined, {
          'Retry-After': '1',
        });
      }
      throw this.unavailable(error);
    }
    if ((accepted[0] as AcceptedAlert).deduplicated) IntakeMetrics.deduplicated(sourceName);
    return responseOf(accepted, alerts);
  }

  /**
   * The delivery as copies, when it is one: every alert a cached one that this process had
   * Temporal accept for its incident within the copy window. Otherwise undefined, and the
   * delivery goes through the batcher. A copy carries the cached original (one encoding for
   * all its copies); one re-timed to its receipt says so, and is re-timed when forwarded.
   */
  private copiesOf(alerts: CachedAlert[], source: SourceConfig, receivedAt: string): Copy[] | undefined {
    const copies: Copy[] = [];
    for (const { alert, original } of alerts) {
      const route = this.route(alert, original, source);
      if (!this.copies.isCopy(route.incidentId, alert.uid)) return undefined;
      copies.push({
        workflowId: route.incidentId,
        correlationKey: route.correlationKey,
        alert: original,
        receiptTimed: alert !== original,
        receivedAt,
      });
    }
    return copies;
  }

  /**
   * `jsonContentTypeProblem` of the last Content-Type seen, remembered: a storm's deliveries
   * all send the same one.
   */
  private contentTypeProblem(header: string): string | undefined {
    const last = this.lastContentType;
    if (last.header === header) return last.problem;
    const problem = jsonContentTypeProblem(header);
    this.lastContentType = { header, problem };
    return problem;
  }

  /**
   * The body's SHA-256 (hex). A body with the same bytes as the last one hashed is not hashed
   * again: comparing the bytes costs a fraction of hashing them, and a storm is copies of one
   * body. The bytes are not a secret (authentication compares credentials separately).
   */
  private bodySha256(body: Buffer): string {
    const last = this.lastBody;
    if (last !== undefined && last.body.equals(body)) return last.sha256;
    const sha256 = sha256Hex(body);
    this.lastBody = { body, sha256 };
    return sha256;
  }

  /**
   * The alert's correlation key, incident and JSON size. Remembered per cached original (frozen,
   * shared by every identical re-delivery): a copy differs from it at most by its receipt time,
   * which has the same length, and which no key reads unless the source's `correlationKey`
   * names it — then a re-timed copy is keyed on its own.
   */
  private route(alert: Alert, original: Alert, source: SourceConfig): AlertRoute {
    const fields = source.correlationKey;
    if (alert !== original && correlationReadsTime(fields))
      return { ...this.route(original, original, source), ...key(alert) };
    const known = this.routes.get(original);
    if (known !== undefined) return known;
    const route = { ...key(original), size: JSON.stringify(original).length };
    if (Object.isFrozen(original)) this.routes.set(original, route);
    return route;

    function key(of: Alert): { correlationKey: string; incidentId: string } {
      const correlation = correlationKey(of, fields);
      return { correlationKey: correlation, incidentId: incidentIdFor(correlation) };
    }
  }

  /**
   * Resolves once every alert handed to the batcher has had its Temporal call answered, the
   * copy ledger's rows of this process were forwarded (or tried once more), and raw bodies still waiting for PostgreSQL had one last try (shutdown).
   */
  async drained(): Promise<void> {
    await this.batcher.idle();
    // The copies this process recorded reach their incidents now, not once stale.
    await this.copies.close();
    await this.rawBodies.flush();
    this.rawBodies.close();
  }

  /** The app closes (after drained() on a graceful shutdown): the copy ledger's timer stops. */
  onModuleDestroy(): void {
    this.copies.stop();
  }

  /**
   * Normalizes, then completes the alerts through a configured vendor API (bounded by that
   * integration's timeout; on failure the normalized alerts stand), then caches the result.
   */
  private async normalizeAndComplete(
    sourceName: string,
    source: SourceConfig,
    rawBody: Buffer,
    context: NormalizeContext,
  ): Promise<Alert[]> {
    const { body, alerts } = this.normalize(sourceName, source, rawBody, context);
    const completed = await this.completion.complete(body, context, alerts);
    this.normalized.set(sourceName, context.rawSha256, completed);
    return completed;
  }

  /** Parses and normalizes a delivery's body (400 with field paths when it is not the source's format). */
  private normalize(
    sourceName: string,
    source: SourceConfig,
    rawBody: Buffer,
    context: NormalizeContext,
  ): { body: unknown; alerts: Alert[] } {
    let body: unknown;
    try {
      // NUL and lone surrogates become U+FFFD here, before anything reads the alert (untrusted-text.ts).
      body = parseUntrustedJson(rawBody.toString('utf8'));
    } catch (error) {
      throw new ApiError(400, 'malformed_json', `body is not valid JSON: ${(error as Error).message}`);
    }
    if (jsonDepthExceeds(body)) {
      throw new ApiError(400, 'too_deeply_nested', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }

    const format = source.format ?? sourceName;
    const normalize = getNormalizer(format);
    if (normalize === undefined) throw new ApiError(500, 'no_normalizer', `no normalizer for format "${format}"`);
    let alerts: Alert[];
    try {
      alerts = normalize(body, context);
    } catch (error) {
      if (error instanceof NormalizationError) {
        throw new ApiError(
          400,
          'invalid_alert',
          `the body is not a valid ${format} alert`,
          error.fieldIssues.map((i) => ({ path: i.path || '(body)', message: i.message })),
        );
      }
      throw error;
    }
    if (alerts.length === 0) throw new ApiError(400, 'no_alerts', 'the delivery carried no alert');
    return { body, alerts };
  }

  /**
   * One Temporal call for a batch of deliveries to one incident: signal-with-start, so the
   * incident is started when it is not running (a closed incident is reopened as a new run
   * of the same ID) and signalled otherwise. Deliveries of the same alert are merged first.
   */
  private async deliverBatch(workflowId: string, items: PendingDelivery[]): Promise<AcceptedAlert[]> {
    const byUid = new Map<string, AlertDeliveries>();
    for (const { alert, receivedAt } of items) {
      const known = byUid.get(alert.uid);
      if (known === undefined)
        byUid.set(alert.uid, { alert, deliveries: 1, firstReceivedAt: receivedAt, lastReceivedAt: receivedAt });
      else {
        known.deliveries += 1;
        if (receivedAt > known.lastReceivedAt) known.lastReceivedAt = receivedAt;
      }
    }
    const sentAt = Date.now();
    // In the first delivery's trace (docs/operations.md#traces): the batcher may call from another's.
    const { started } = await inBatchSpan(
      items.map((item) => item.trace),
      () => this.signal(workflowId, (items[0] as PendingDelivery).correlationKey, [...byUid.values()]),
    );
    // Temporal has these alerts now: their identical re-deliveries are copies (copy-ledger.ts).
    for (const uid of byUid.keys()) this.copies.accepted(workflowId, uid, sentAt);
    // Only the delivery that opened (or reopened) the incident is not a duplicate.
    return items.map((_, index) => ({
      incidentId: workflowId,
      workflowId,
      deduplicated: !(started && index === 0),
    }));
  }

  /**
   * Signal-with-start of an incident with aggregated deliveries: the batcher's calls, and the
   * copy ledger's forwarder (copy-ledger.ts).
   */
  private signal(
    workflowId: string,
    correlationKey: string,
    deliveries: AlertDeliveries[],
  ): Promise<{ runId: string; started: boolean }> {
    const input: IncidentInput = {
      incidentId: workflowId,
      correlationKey,
      alerts: [],
      settings: {
        closeAfterIdleMs: this.config.incidents.closeAfterIdle,
        continueAsNewAfterEvents: this.config.incidents.continueAsNewAfterEvents,
        ...(this.config.temporal.searchAttributes ? { searchAttributes: true } : {}),
      },
    };
    // Set only if this call starts the incident; a running one keeps its own up to date.
    let facets: IncidentFacets | undefined;
    if (this.config.temporal.searchAttributes)
      for (const { alert } of deliveries) facets = widenFacets(facets, alert, zonesOf(this.assets.resolve(alert)));
    return this.temporal.withDeadline(Date.now() + TEMPORAL_CALL_TIMEOUT_MS, () =>
      this.incidents.signalWithStart<IncidentWorkflow, [AlertDeliveries[]]>(INCIDENT_WORKFLOW, {
        workflowId,
        taskQueue: this.config.temporal.taskQueue,
        args: [input],
        signal: alertBatchSignal,
        signalArgs: [deliveries],
        ...(facets === undefined
          ? {}
          : { typedSearchAttributes: searchAttributePairs(facets, { status: 'open', awaitingApproval: false }) }),
      }),
    );
  }

  private unavailable(error: unknown): ApiError {
    this.log.error({ err: error }, 'Temporal did not accept an alert');
    return new ApiError(503, 'unavailable', 'the alert could not be durably accepted; retry later', undefined, {
      'Retry-After': '5',
    });
  }
}
