import type { AssetConfig, InterlockConfig, ZoneConfig } from '../config/schema';
import { addressForms, inRange, type IpAddress, parseCidr, parseIp } from './addresses';
import type { ResolvedTarget } from './types';

/** Purdue levels 4 and 5 are IT; 0–3.5 (cell, supervisory, operations, DMZ) are OT. */
export const IT_MIN_PURDUE_LEVEL = 4;

const isSafetyAsset = (asset: AssetConfig) => asset.safetySystem || asset.kind === 'sis';

/**
 * The asset inventory: resolves whatever a playbook names (asset ID, hostname, IP) to a
 * classified target (rule 1). Anything it cannot place is returned as unknown OT.
 */
export class Inventory {
  private readonly zonesById: Map<string, ZoneConfig>;
  /** Assets by every form of each listed address (see addressForms). */
  private readonly assetsByAddress = new Map<string, AssetConfig>();
  private readonly zoneRanges: { zone: ZoneConfig; ranges: [IpAddress, number][] }[];

  constructor(private readonly config: Pick<InterlockConfig, 'zones' | 'assets'>) {
    this.zonesById = new Map(config.zones.map((zone) => [zone.id, zone]));
    for (const asset of config.assets) {
      for (const text of asset.ips) {
        const ip = parseIp(text);
        for (const form of ip === undefined ? [] : addressForms(ip)) {
          const listed = this.assetsByAddress.get(form.toString());
          // One address on two assets: the safety system wins (rule 5), else the first listed.
          if (listed === undefined || (!isSafetyAsset(listed) && isSafetyAsset(asset)))
            this.assetsByAddress.set(form.toString(), asset);
        }
      }
    }
    this.zoneRanges = config.zones.map((zone) => ({
      zone,
      ranges: zone.cidrs.map(parseCidr).filter((range) => range !== undefined),
    }));
  }

  /**
   * An address embedding an IPv4 (NAT64, SIIT, 6to4, IPv4-mapped…) is looked up both as that
   * IPv4 and as itself; when the two readings differ the most cautious wins: a safety system,
   * else OT, else IT.
   */
  resolve(ref: string): ResolvedTarget {
    const wanted = ref.trim();
    const lower = wanted.toLowerCase();
    const named =
      this.config.assets.find((a) => a.id === wanted) ??
      this.config.assets.find((a) => a.hostnames.some((h) => h.toLowerCase() === lower));
    if (named !== undefined) return this.fromAsset(wanted, named);
    const ip = parseIp(wanted);
    const forms = ip === undefined ? [] : addressForms(ip);
    const readings = forms.map((form) => this.resolveAddress(wanted, form)).filter((reading) => reading !== undefined);
    const reading = readings.find((r) => r.safetySystem) ?? readings.find((r) => r.domain === 'ot') ?? readings[0];
    if (reading !== undefined) return reading;
    return {
      ref: wanted,
      ips: forms.slice(0, 1).map((form) => form.toString()),
      known: false,
      domain: 'ot',
      mode: 'approve',
      safetySystem: false,
      edr: {},
    };
  }

  private resolveAddress(ref: string, ip: IpAddress): ResolvedTarget | undefined {
    const asset = this.assetsByAddress.get(ip.toString());
    if (asset !== undefined) return this.fromAsset(ref, asset);
    const zone = this.zoneRanges.find(({ ranges }) => ranges.some((range) => inRange(ip, range)))?.zone;
    return zone === undefined ? undefined : this.fromZoneOnly(ref, ip.toString(), zone);
  }

  zone(id: string): ZoneConfig | undefined {
    return this.zonesById.get(id);
  }

  private fromAsset(ref: string, asset: AssetConfig): ResolvedTarget {
    const zone = this.zonesById.get(asset.zone);
    const purdueLevel = zone?.purdueLevel;
    return {
      ref,
      assetId: asset.id,
      ips: asset.ips,
      zone: asset.zone,
      purdueLevel,
      kind: asset.kind,
      criticality: asset.criticality,
      safetySystem: isSafetyAsset(asset),
      known: zone !== undefined,
      domain: purdueLevel !== undefined && purdueLevel >= IT_MIN_PURDUE_LEVEL ? 'it' : 'ot',
      mode: zone?.mode ?? 'approve',
      edr: asset.edr,
    };
  }

  /** An unlisted IP inside a known zone: classified by the zone, criticality unknown. */
  private fromZoneOnly(ref: string, ip: string, zone: ZoneConfig): ResolvedTarget {
    return {
      ref,
      ips: [ip],
      zone: zone.id,
      purdueLevel: zone.purdueLevel,
      safetySystem: false,
      known: true,
      domain: zone.purdueLevel >= IT_MIN_PURDUE_LEVEL ? 'it' : 'ot',
      mode: zone.mode,
      edr: {},
    };
  }
}
