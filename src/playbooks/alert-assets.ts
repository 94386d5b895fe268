/**
 * The alert's endpoints as the inventory knows them, for playbook triggers (`assets.dst.zone`,
 * `assets.dst.purdueLevel <= 2`, `assets.hosts.exists(h, h.safetySystem)`). Each endpoint is
 * resolved once, by the same resolution the policy uses (src/policy/inventory.ts): its hostname
 * when the inventory knows it, else its address. What the inventory cannot place is marked
 * `known: false` and, as the policy treats it (rule 1), `domain: "ot"`.
 */
import type { Alert, Endpoint } from '../alerts/alert';
import type { InterlockConfig } from '../config/schema';
import { Inventory } from '../policy/inventory';

export interface AssetView {
  /** What the alert named: the hostname, else the address. */
  ref: string;
  /** The inventory places it (a listed asset, or an address inside a zone's CIDRs). */
  known: boolean;
  /** A listed asset (not only an address in a zone). */
  listed: boolean;
  id?: string;
  zone?: string;
  purdueLevel?: number;
  kind?: string;
  criticality?: string;
  site?: string;
  /** The zone owner's operator ID. */
  owner?: string;
  safetySystem: boolean;
  /** `it` for Purdue levels 4–5; everything else, unknown included, is `ot`. */
  domain: 'it' | 'ot';
}

export interface AlertAssets {
  /** The origin of the traffic, when the alert names one. */
  src?: AssetView;
  /** The target of the traffic, when the alert names one. */
  dst?: AssetView;
  /** Every host of the alert (alert.hosts: subject hosts, then dst, then src), in order. */
  hosts: AssetView[];
  /** Every address of the alert (alert.ips), in order. */
  ips: AssetView[];
}

function refOf(endpoint: Endpoint): string {
  return endpoint.hostname ?? endpoint.ip ?? '';
}

/** Resolves an alert's endpoints; one inventory built per configuration is reused. */
export class AlertAssetResolver {
  private readonly inventory: Inventory;

  constructor(private readonly config: Pick<InterlockConfig, 'zones' | 'assets'>) {
    this.inventory = new Inventory(config);
  }

  resolve(alert: Alert): AlertAssets {
    const cache = new Map<string, AssetView>();
    const view = (endpoint: Endpoint): AssetView => {
      const key = `${endpoint.hostname ?? ''}|${endpoint.ip ?? ''}`;
      let resolved = cache.get(key);
      if (resolved === undefined) {
        resolved = this.endpointView(endpoint);
        cache.set(key, resolved);
      }
      return resolved;
    };
    const assets: AlertAssets = {
      hosts: alert.hosts.map(view),
      ips: alert.ips.map((ip) => view({ ip })),
    };
    if (alert.src !== undefined) assets.src = view(alert.src);
    if (alert.dst !== undefined) assets.dst = view(alert.dst);
    return assets;
  }

  private endpointView(endpoint: Endpoint): AssetView {
    const byName = endpoint.hostname === undefined ? undefined : this.inventory.resolve(endpoint.hostname);
    const target =
      byName !== undefined && (byName.known || endpoint.ip === undefined)
        ? byName
        : this.inventory.resolve(endpoint.ip ?? '');
    const view: AssetView = {
      ref: refOf(endpoint),
      known: target.known === true,
      listed: target.assetId !== undefined,
      safetySystem: target.safetySystem === true,
      domain: target.domain,
    };
    if (target.assetId !== undefined) view.id = target.assetId;
    if (target.zone !== undefined) view.zone = target.zone;
    if (target.purdueLevel !== undefined) view.purdueLevel = target.purdueLevel;
    if (target.kind !== undefined) view.kind = target.kind;
    if (target.criticality !== undefined) view.criticality = target.criticality;
    const zone = target.zone === undefined ? undefined : this.inventory.zone(target.zone);
    if (zone?.site !== undefined) view.site = zone.site;
    if (zone?.owner !== undefined) view.owner = zone.owner;
    return view;
  }
}

/** Whether the alert touches OT: an OT asset or zone, or an address the inventory cannot place. */
export function touchesOt(assets: AlertAssets): boolean {
  return [...assets.hosts, ...assets.ips].some((a) => a.domain === 'ot');
}

/** The OT zones the alert touches, in order (for routing to their owners). */
export function otZonesOf(assets: AlertAssets): string[] {
  const zones = new Set<string>();
  for (const a of [...assets.hosts, ...assets.ips]) if (a.domain === 'ot' && a.zone !== undefined) zones.add(a.zone);
  return [...zones];
}

/** Every zone the inventory places one of the alert's endpoints in, IT and OT (incident search attributes). */
export function zonesOf(assets: AlertAssets): string[] {
  const zones = new Set<string>();
  for (const a of [
    ...assets.hosts,
    ...assets.ips,
    ...(assets.src ? [assets.src] : []),
    ...(assets.dst ? [assets.dst] : []),
  ])
    if (a.zone !== undefined) zones.add(a.zone);
  return [...zones].sort();
}
