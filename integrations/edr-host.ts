/**
 * How an EDR connector finds the host a decided action names at its vendor: by the agent ID the
 * inventory holds for that connector (`assets[].edr.<id>`), else by name, else by address. Shared
 * by the connectors that may act without an agent ID (Defender for Endpoint, SentinelOne).
 */
import { isIP } from 'node:net';
import type { PolicyDecision } from '../src/policy/types';
import { IntegrationError } from './http';

export interface HostLookup {
  /** The vendor's ID of the host from the inventory, when it has one. */
  agentId?: string;
  /** Names to look up, most specific first: the name the action gave, then the inventory asset ID. */
  hostnames: string[];
  /** Addresses to look up: the one the action gave, then the asset's. */
  ips: string[];
  /** The host as people know it, for messages. */
  label: string;
}

/** Host names we put in a vendor query: letters, digits, dots, hyphens, underscores. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,253})$/;

export function hostLookupOf(decision: PolicyDecision, connectorId: string): HostLookup {
  const { target } = decision;
  const ref = target.ref.trim();
  const refIsIp = isIP(ref) !== 0;
  const names = [refIsIp ? undefined : ref, target.assetId].filter(
    (n): n is string => n !== undefined && HOSTNAME.test(n),
  );
  const ips = [refIsIp ? ref : undefined, ...(target.ips ?? [])].filter(
    (ip): ip is string => ip !== undefined && isIP(ip) !== 0,
  );
  const agentId = target.edr[connectorId];
  return {
    ...(agentId === undefined ? {} : { agentId }),
    hostnames: [...new Set(names)],
    ips: [...new Set(ips)],
    label: target.assetId ?? target.ref,
  };
}

/** The first DNS label, lower-cased: what a short (NetBIOS-style) name of the host would be. */
export function shortName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').split('.', 1)[0] ?? '';
}

/**
 * Whether the vendor's name of a host is the name looked up: equal ignoring case, or the same
 * host when one of them is a short name (`fin-lt-042` and `fin-lt-042.corp.example.net`). Two
 * different fully qualified names never match.
 */
export function sameHostName(vendorName: string, wanted: string): boolean {
  const a = vendorName.toLowerCase().replace(/\.$/, '');
  const b = wanted.toLowerCase().replace(/\.$/, '');
  if (a === b) return true;
  if (a.includes('.') && b.includes('.')) return false;
  return shortName(a) === shortName(b);
}

/** The vendor does not know the host: a 404 (enforcement reports it as not found, not retried). */
export function hostNotFound(integration: string, lookup: HostLookup, how: string): IntegrationError {
  return new IntegrationError(`${integration}: no host ${lookup.label} found (${how})`, {
    integration,
    kind: 'vendor-error',
    retryable: false,
    status: 404,
  });
}

/** Most recent first by an ISO date (missing dates last). */
export function byMostRecent<T>(date: (item: T) => string | null | undefined): (a: T, b: T) => number {
  const time = (item: T) => {
    const value = date(item);
    const parsed = value === null || value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(parsed) ? -Infinity : parsed;
  };
  return (a, b) => time(b) - time(a);
}
