/**
 * Anchoring the audit chain head outside the database (`audit.anchor`). The hash chain proves
 * no record was changed or removed in the middle, but deleting the newest records leaves a
 * valid shorter chain: only a copy of an earlier head kept elsewhere shows it. The worker's
 * Temporal Schedule `interlock-audit-anchor` appends the head (seq, hash, time) to a file (one
 * JSON line each, fsynced) and/or sends it to syslog (RFC 5424; a SIEM keeps it); `verify`
 * compares the database with the newest file anchor.
 */
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { connect } from 'node:net';
import { z } from 'zod';
import type { AuditCheckpoint } from './checkpoints';

export interface ChainAnchor {
  /** The newest record's seq (0 before the first record). */
  seq: number;
  hash: string;
  /** When the head was read. */
  at: string;
}

export interface AnchorTargets {
  file?: string;
  syslog?: { host: string; port: number; protocol: 'udp' | 'tcp' };
}

const anchorLine = z.strictObject({
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().min(1),
});

/** Appends one anchor as a JSON line and fsyncs it before answering. */
export async function appendFileAnchor(path: string, anchor: ChainAnchor): Promise<void> {
  const file = await open(path, 'a', 0o640);
  try {
    await file.appendFile(`${JSON.stringify(anchor)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * The newest anchor in the file (the one with the highest seq), undefined when the file does
 * not exist yet. A line that is not an anchor is an error: the file is evidence.
 */
export async function readNewestFileAnchor(path: string): Promise<ChainAnchor | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let newest: ChainAnchor | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const parsed = anchorLine.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${path}:${index + 1}: not an audit anchor`);
    if (newest === undefined || parsed.data.seq >= newest.seq) newest = parsed.data;
  }
  return newest;
}

/**
 * RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, facility
 * security/authorization (4 → auth), severity notice (5): PRI 37. The anchor is both a
 * structured-data element (for parsers) and the JSON message (for people).
 */
export function syslogMessage(anchor: ChainAnchor, host = hostname()): string {
  const name = host.replace(/[^\x21-\x7e]/g, '').slice(0, 255) || '-';
  return `<37>1 ${anchor.at} ${name} interlock ${process.pid} audit-anchor [interlock-anchor@32473 seq="${anchor.seq}" hash="${anchor.hash}"] ${JSON.stringify(anchor)}`;
}

/** Sends one anchor: one datagram over UDP (RFC 5426), octet-counted framing over TCP (RFC 6587). */
export async function sendSyslogAnchor(
  target: NonNullable<AnchorTargets['syslog']>,
  anchor: ChainAnchor,
): Promise<void> {
  const message = Buffer.from(syslogMessage(anchor), 'utf8');
  if (target.protocol === 'udp') {
    const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) =>
        socket.send(message, target.port, target.host, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      socket.close();
    }
    return;
  }
  const socket = connect({ host: target.host, port: target.port, timeout: 10_000 });
  socket.on('timeout', () => socket.destroy(new Error(`syslog ${target.host}:${target.port}: timed out`)));
  try {
    await once(socket, 'connect');
    await new Promise<void>((resolve, reject) =>
      socket.end(Buffer.concat([Buffer.from(`${message.length} `), message]), () => resolve()).once('error', reject),
    );
  } finally {
    socket.destroy();
  }
}

/** Writes the anchor to every configured target; each failure is reported, none is skipped. */
export async function writeAnchor(targets: AnchorTargets, anchor: ChainAnchor): Promise<void> {
  const results = await Promise.allSettled([
    ...(targets.file === undefined ? [] : [appendFileAnchor(targets.file, anchor)]),
    ...(targets.syslog === undefined ? [] : [sendSyslogAnchor(targets.syslog, anchor)]),
  ]);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  if (failed.length > 0) throw new Error(`audit anchor not written: ${failed.join('; ')}`);
}

/**
 * Why the database does not hold what the anchor saw, or undefined when it does: the anchored
 * record must still exist with the same hash (or be covered by a retention checkpoint), and
 * the head must not be behind it.
 */
export function anchorMismatch(
  anchor: ChainAnchor,
  head: { seq: number; hash: string },
  anchored: { hash: string } | undefined,
  checkpoint: Pick<AuditCheckpoint, 'seq' | 'hash'> | undefined,
): string | undefined {
  const where = `the audit anchor of ${anchor.at} (seq ${anchor.seq}, hash ${anchor.hash})`;
  if (head.seq < anchor.seq)
    return `truncated: the newest record is seq ${head.seq}, behind ${where}: records ${head.seq + 1}..${anchor.seq} were removed`;
  if (anchor.seq === 0) return undefined;
  if (anchored !== undefined)
    return anchored.hash === anchor.hash
      ? undefined
      : `rewritten: record ${anchor.seq} has hash ${anchored.hash}, not the hash of ${where}`;
  if (checkpoint !== undefined && checkpoint.seq >= anchor.seq)
    return checkpoint.seq === anchor.seq && checkpoint.hash !== anchor.hash
      ? `rewritten: the retention checkpoint at seq ${anchor.seq} has another hash than ${where}`
      : undefined;
  return `missing: record ${anchor.seq} of ${where} is not in the database and no retention checkpoint covers it`;
}
