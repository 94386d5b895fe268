import ipaddr from 'ipaddr.js';
import type { AssetConfig, InterlockConfig, ZoneConfig } from '../config/schema';
import type { ResolvedTarget } from './types';

/** Purdue levels 4 and 5 are IT; 0–3.5 (cell, supervisory, operations, DMZ) are OT. */
export const IT_MIN_PURDUE_LEVEL = 4;

function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const parsed = ipaddr.parse(text);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

function zoneContains(zone: ZoneConfig, ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return zone.cidrs.some((cidr) => {
    try {
      const [range, bits] = ipaddr.parseCIDR(cidr);
      return range.kind() === ip.kind() && ip.match([range, bits]);
    } catch {
      return false;
    }
  });
}

/**
 * The asset inventory: resolves whatever a playbook names (asset ID, hostname, IP) to a
 * classified target (rule 1). Anything it cannot place is returned as unknown OT.
 */
export class Inventory {
  private readonly zonesById: Map<string, ZoneConfig>;

  constructor(private readonly config: Pick<InterlockConfig, 'zones' | 'assets'>) {
    this.zonesById = new Map(config.zones.map((zone) => [zone.id, zone]));
  }

  resolve(ref: string): ResolvedTarget {
    const wanted = ref.trim();
    const lower = wanted.toLowerCase();
    const ip = parseIp(wanted);
    const asset =
      this.config.assets.find((a) => a.id === wanted) ??
      this.config.assets.find((a) => a.hostnames.some((h) => h.toLowerCase() === lower)) ??
      (ip === undefined
        ? undefined
        : this.config.assets.find((a) => a.ips.some((candidate) => parseIp(candidate)?.toString() === ip.toString())));
    if (asset !== undefined) return this.fromAsset(wanted, asset);
    if (ip !== undefined) {
      const zone = this.config.zones.find((z) => zoneContains(z, ip));
      if (zone !== undefined) return this.fromZoneOnly(wanted, ip.toString(), zone);
    }
    return {
      ref: wanted,
      ips: ip === undefined ? [] : [ip.toString()],
      known: false,
      domain: 'ot',
      mode: 'approve',
      safetySystem: false,
      edr: {},
    };
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
      safetySystem: asset.safetySystem || asset.kind === 'sis',
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
