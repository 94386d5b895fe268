/**
 * Mirrors Interlock's maintenance windows (`maintenanceWindows[]`, rule 13) to the Defender for
 * IoT console's maintenance windows, so the sensors stop alerting for exactly the windows in
 * which the engine closes expected tasks.
 *
 * Runs in the worker process on a timer (outside workflow code: it changes nothing Interlock
 * decides, and needs no history), at startup and then every `interval`. It is idempotent by
 * ticket ID = Interlock window ID, so a restart or a second worker replica repeats nothing:
 *
 * - a window in force (or starting within `lead`) is opened with the minutes left until its end
 *   (the console ends it itself when that TTL runs out); 409 "already open" counts as opened;
 * - a window that has ended (listed, end in the past week) is closed once — a window ended early
 *   by moving its `end` back is closed at the next run; 404 "not open" counts as closed;
 * - a window this process opened that is no longer listed (removed from the configuration) is
 *   closed. (After a restart, a removed window is unknown here and ends with its TTL: end a window
 *   early by moving its `end`, not by deleting it.)
 */
import ipaddr from 'ipaddr.js';
import type { MaintenanceWindowConfig } from '../../src/config/schema';
import type { BackgroundContext, BackgroundTask } from '../connector';
import type { DefenderIotClient } from './client';
import type { MaintenanceSyncConfig } from './config';

/** Ended windows older than this are left alone (the console closed them with their TTL). */
const CLOSE_HORIZON_MS = 7 * 24 * 3_600_000;

export interface SyncReport {
  opened: string[];
  alreadyOpen: string[];
  closed: string[];
  /** Windows not opened: no sensor or subnet to scope them, or a failed call (retried next run). */
  skipped: { id: string; reason: string }[];
}

export class MaintenanceSync {
  /** Windows open at the console (opened or found open by this process). */
  private readonly open = new Set<string>();
  /** Ended windows already closed, or found not open. */
  private readonly ended = new Set<string>();

  constructor(
    private readonly client: DefenderIotClient,
    private readonly sync: MaintenanceSyncConfig,
    private readonly context: BackgroundContext,
    private readonly now: () => number = Date.now,
  ) {}

  /** One reconciliation of the configured windows with the console. */
  async runOnce(): Promise<SyncReport> {
    const report: SyncReport = { opened: [], alreadyOpen: [], closed: [], skipped: [] };
    const now = this.now();
    const listed = new Set(this.context.maintenanceWindows.map((w) => w.id));
    for (const window of this.context.maintenanceWindows) {
      const start = Date.parse(window.start);
      const end = Date.parse(window.end);
      try {
        if (now >= end) {
          this.open.delete(window.id);
          if (end < now - CLOSE_HORIZON_MS || this.ended.has(window.id)) continue;
          if (await this.client.closeMaintenanceWindow(window.id)) report.closed.push(window.id);
          this.ended.add(window.id);
        } else if (now >= start - this.sync.lead && !this.open.has(window.id)) {
          const scope = this.scopeOf(window);
          if (typeof scope === 'string') {
            report.skipped.push({ id: window.id, reason: scope });
            continue;
          }
          const opened = await this.client.openMaintenanceWindow({
            ticketId: window.id,
            ttl: Math.ceil((end - now) / 60_000),
            engines: this.sync.engines,
            ...scope,
          });
          (opened ? report.opened : report.alreadyOpen).push(window.id);
          this.open.add(window.id);
        }
      } catch (error) {
        report.skipped.push({ id: window.id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    for (const id of [...this.open].filter((w) => !listed.has(w))) {
      try {
        if (await this.client.closeMaintenanceWindow(id)) report.closed.push(id);
        this.open.delete(id);
      } catch (error) {
        report.skipped.push({ id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    this.log(report);
    return report;
  }

  /** Runs now and then every `interval` until stopped; a run never overlaps the previous one. */
  start(): BackgroundTask {
    let running: Promise<unknown> = Promise.resolve();
    let stopped = false;
    const tick = () => {
      running = running
        .then(() => (stopped ? undefined : this.runOnce()))
        .catch((error: unknown) => {
          this.context.log.warn({ integration: 'defender-iot', err: String(error) }, 'maintenance window sync failed');
        });
    };
    tick();
    const timer = setInterval(tick, Math.max(1_000, this.sync.interval));
    timer.unref();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      },
    };
  }

  /** The sensors and subnets a window silences, or why it cannot be scoped. */
  private scopeOf(window: MaintenanceWindowConfig): { sensorIds: string[]; subnets: string[] } | string {
    const zoneScope = this.sync.zones[window.zone];
    const sensorIds = zoneScope?.sensorIds ?? [];
    let subnets: string[];
    if (window.assets.length > 0) {
      // Only the listed assets: their addresses, one host each.
      subnets = this.context.assets
        .filter((a) => window.assets.includes(a.id))
        .flatMap((a) => a.ips)
        .map(hostSubnet);
      if (subnets.length === 0) return `none of the window's assets (${window.assets.join(', ')}) has an IP address`;
    } else {
      subnets =
        zoneScope !== undefined && zoneScope.subnets.length > 0
          ? zoneScope.subnets
          : (this.context.zones.find((z) => z.id === window.zone)?.cidrs ?? []);
    }
    // Never silence a whole console because a zone was left unmapped.
    if (subnets.length === 0 && sensorIds.length === 0)
      return `zone ${window.zone} has no sensorIds or subnets (maintenanceSync.zones) and no cidrs`;
    return { sensorIds: [...sensorIds], subnets };
  }

  private log(report: SyncReport): void {
    const { opened, alreadyOpen, closed, skipped } = report;
    if (opened.length > 0 || closed.length > 0)
      this.context.log.info({ integration: 'defender-iot', opened, closed, alreadyOpen }, 'maintenance windows synced');
    if (skipped.length > 0)
      this.context.log.warn(
        { integration: 'defender-iot', skipped },
        'maintenance windows not synced (retried next run)',
      );
  }
}

function hostSubnet(ip: string): string {
  return ipaddr.isValid(ip) && ipaddr.parse(ip).kind() === 'ipv6' ? `${ip}/128` : `${ip}/32`;
}
