import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * An IPv4 or IPv6 address in any form ipaddr.js reads (including `0x0a.20.9.1`, `167772161`
 * and a `%zone` suffix); undefined when the text is not an address.
 */
export function parseIp(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed)) return undefined;
  try {
    return ipaddr.parse(trimmed);
  } catch {
    return undefined;
  }
}

const NAT64_WKP = [0x00, 0x64, 0xff, 0x9b] as const;

function startsWith(bytes: number[], prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function zeros(bytes: number[], from: number, to: number): boolean {
  return bytes.slice(from, to).every((byte) => byte === 0);
}

/**
 * The IPv4 address an IPv6 address carries in a standard embedding, or undefined:
 * - IPv4-mapped `::ffff:0:0/96` and IPv4-compatible `::/96` (deprecated; `::` and `::1` excepted),
 * - SIIT `::ffff:0:0:0/96` (RFC 7915),
 * - NAT64 `64:ff9b::/96` (RFC 6052) and the local-use `64:ff9b:1::/48` (RFC 8215), whose IPv4 sits
 *   in bits 48-63 and 72-87 (RFC 6052's /48 layout; the u-octet in bits 64-71 is skipped, and not
 *   required to be zero: reading too much as an IPv4 can only make a decision more cautious),
 * - 6to4 `2002::/16` (RFC 3056: bits 16-47, the site's gateway).
 * The policy treats such an address as the IPv4 it carries, so the SIS written as
 * `64:ff9b::10.20.9.1` is still the SIS (rule 5).
 */
export function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const b = ip.toByteArray();
  const v4 = (bytes: number[]) => new ipaddr.IPv4(bytes);
  if (zeros(b, 0, 10)) {
    if (b[10] === 0xff && b[11] === 0xff) return v4(b.slice(12)); // IPv4-mapped
    if (b[10] === 0 && b[11] === 0) {
      const unspecifiedOrLoopback = zeros(b, 12, 15) && (b[15] ?? 0) <= 1;
      return unspecifiedOrLoopback ? undefined : v4(b.slice(12)); // IPv4-compatible
    }
  }
  if (zeros(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(b, 10, 12)) return v4(b.slice(12)); // SIIT
  if (startsWith(b, NAT64_WKP)) {
    if (zeros(b, 4, 12)) return v4(b.slice(12)); // 64:ff9b::/96
    if (b[4] === 0x00 && b[5] === 0x01) return v4([b[6], b[7], b[9], b[10]] as number[]); // 64:ff9b:1::/48
    return undefined;
  }
  if (b[0] === 0x20 && b[1] === 0x02) return v4(b.slice(2, 6)); // 6to4
  return undefined;
}

/**
 * Every address `ip` stands for when matched against the inventory: the IPv4 it embeds first
 * (if any), then the address itself. The one place IPv4-in-IPv6 is unwrapped for lookups.
 */
export function addressForms(ip: IpAddress): IpAddress[] {
  if (ip.kind() === 'ipv4') return [ip];
  const inner = embeddedIpv4(ip as ipaddr.IPv6);
  return inner === undefined ? [ip] : [inner, ip];
}

/** A CIDR as [network, prefix length]; undefined when it does not parse. */
export function parseCidr(cidr: string): [IpAddress, number] | undefined {
  try {
    return ipaddr.parseCIDR(cidr.trim());
  } catch {
    return undefined;
  }
}

/** True when `ip` lies in the range (an IPv6 range matches only IPv6 addresses, likewise IPv4). */
export function inRange(ip: IpAddress, [network, bits]: [IpAddress, number]): boolean {
  return network.kind() === ip.kind() && ip.match(network, bits);
}
