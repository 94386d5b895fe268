/**
 * Live updates for the console: one poll of the audit trail's change feed per API process
 * (IncidentIndex.changedSince, on the primary key) while at least one browser listens, fanned
 * out to every open event stream. The worker writes the audit trail from another process, so
 * the trail itself is what says an incident changed.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '../../logging';
import { IncidentsService } from '../incidents/incidents.service';
import { LOGGER } from '../tokens';

/** How often the feed is read while someone listens. */
export const LIVE_POLL_MS = 1_000;

export type LiveListener = (incidentIds: string[]) => void;

@Injectable()
export class ConsoleLiveUpdates implements OnModuleDestroy {
  private readonly listeners = new Set<LiveListener>();
  /** Ends every open stream when the process stops (a stream never ends on its own). */
  private readonly closers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastSeq: number | undefined;
  private polling = false;

  constructor(
    @Inject(IncidentsService) private readonly incidents: IncidentsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Starts listening; returns the function that stops. `close` ends the stream at shutdown. */
  subscribe(listener: LiveListener, close: () => void): () => void {
    this.listeners.add(listener);
    this.closers.add(close);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), LIVE_POLL_MS);
      // The feed's starting point now, not a second later: nothing written meanwhile is missed.
      void this.poll();
    }
    return () => {
      this.listeners.delete(listener);
      this.closers.delete(close);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
        // The next listener starts from the trail's end then, not from a stale position.
        this.lastSeq = undefined;
      }
    };
  }

  get listening(): number {
    return this.listeners.size;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (this.lastSeq === undefined) {
        this.lastSeq = await this.incidents.lastSeq();
        return;
      }
      const { lastSeq, incidentIds } = await this.incidents.changedSince(this.lastSeq);
      this.lastSeq = lastSeq;
      if (incidentIds.length > 0) for (const listener of [...this.listeners]) listener(incidentIds);
    } catch (error) {
      // PostgreSQL away: the streams stay open and the next poll catches up.
      this.log.warn({ err: error }, 'console live updates: reading the audit trail failed');
    } finally {
      this.polling = false;
    }
  }

  onModuleDestroy(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const close of [...this.closers]) close();
  }
}
