/**
 * Numbered plant assets for runs at scale (the fault run, the parked-incidents bench): each
 * its own address, so each alert about one is its own incident.
 */

/** The i-th PLC: `<prefix>-plc-<i>`, an address in the line1-cell zone (10.20.0.0/16). */
export const numberedPlc = (prefix: string, i: number) => ({
  id: `${prefix}-plc-${i}`,
  ip: `10.20.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
});

/**
 * `count` known PLCs in line1-cell of medium criticality — an OT change on one needs one OT
 * approver (rule 3), not two — as inventory entries for `config.assets`.
 */
export function plcAssets(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const { id, ip } = numberedPlc(prefix, i);
    return { id, hostnames: [id], ips: [ip], zone: 'line1-cell', kind: 'plc', criticality: 'medium' as const };
  });
}
