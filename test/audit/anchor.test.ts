/**
 * Anchoring the audit chain head outside the database (issue 19): the file target appends
 * JSON lines, the syslog target speaks RFC 5424 over UDP and TCP (real sockets), and the
 * comparison names truncation, rewriting and a missing anchored record.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  anchorMismatch,
  appendFileAnchor,
  readNewestFileAnchor,
  sendSyslogAnchor,
  syslogMessage,
  writeAnchor,
  type ChainAnchor,
} from '../../src/audit/anchor';

const H = (c: string) => c.repeat(64);
const anchor = (seq: number, hash = H('a')): ChainAnchor => ({ seq, hash, at: '2026-12-01T10:00:00.000Z' });

describe('file anchors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlock-anchor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per anchor and reads back the newest (highest seq)', async () => {
    const file = join(dir, 'anchors.jsonl');
    expect(await readNewestFileAnchor(file)).toBeUndefined();
    await appendFileAnchor(file, anchor(4, H('b')));
    await appendFileAnchor(file, anchor(9, H('c')));
    await appendFileAnchor(file, anchor(7, H('d')));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(await readNewestFileAnchor(file)).toEqual(anchor(9, H('c')));
  });

  it('refuses a file with a line that is not an anchor (the file is evidence)', async () => {
    const file = join(dir, 'anchors.jsonl');
    writeFileSync(file, `${JSON.stringify(anchor(1))}\n{"seq":"two"}\n`);
    await expect(readNewestFileAnchor(file)).rejects.toThrow(/anchors\.jsonl:2: not an audit anchor/);
  });
});

describe('syslog anchors (RFC 5424)', () => {
  it('formats PRI, version, timestamp, app, msgid and structured data', () => {
    expect(syslogMessage(anchor(12, H('e')), 'worker-1')).toBe(
      `<37>1 2026-12-01T10:00:00.000Z worker-1 interlock ${process.pid} audit-anchor ` +
        `[interlock-anchor@32473 seq="12" hash="${H('e')}"] ${JSON.stringify(anchor(12, H('e')))}`,
    );
  });

  it('sends one datagram over UDP', async () => {
    const server = createSocket('udp4');
    const received = new Promise<string>((resolve) => server.once('message', (m) => resolve(m.toString())));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    try {
      await sendSyslogAnchor({ host: '127.0.0.1', port: server.address().port, protocol: 'udp' }, anchor(3));
      expect(await received).toMatch(/^<37>1 \S+ \S+ interlock \d+ audit-anchor \[interlock-anchor@32473 seq="3" /);
    } finally {
      server.close();
    }
  });

  it('sends an octet-counted frame over TCP (RFC 6587)', async () => {
    let data = '';
    const closed = new Promise<void>((resolve) => {
      const server = createServer((socket) => {
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => {
          server.close();
          resolve();
        });
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        void sendSyslogAnchor({ host: '127.0.0.1', port, protocol: 'tcp' }, anchor(5));
      });
    });
    await closed;
    const [, length, message] = /^(\d+) (.*)$/s.exec(data) ?? [];
    expect(Number(length)).toBe(Buffer.byteLength(message ?? ''));
    expect(message).toContain('seq="5"');
  });

  it('reports a target that cannot be reached, after writing the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-anchor-'));
    try {
      const file = join(dir, 'anchors.jsonl');
      // A closed TCP port on loopback: connection refused.
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as AddressInfo;
          probe.close(() => resolve(free));
        });
      });
      await expect(
        writeAnchor({ file, syslog: { host: '127.0.0.1', port, protocol: 'tcp' } }, anchor(2)),
      ).rejects.toThrow(/audit anchor not written: .*ECONNREFUSED/);
      expect(await readNewestFileAnchor(file)).toEqual(anchor(2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('comparing the database with the newest anchor', () => {
  it('accepts a database that holds the anchored record and grew since', () => {
    expect(anchorMismatch(anchor(5), { seq: 8, hash: H('f') }, { hash: H('a') }, undefined)).toBeUndefined();
    expect(anchorMismatch(anchor(0, H('0')), { seq: 0, hash: H('0') }, undefined, undefined)).toBeUndefined();
  });

  it('names truncation of the newest records', () => {
    expect(anchorMismatch(anchor(9), { seq: 6, hash: H('f') }, undefined, undefined)).toMatch(
      /^truncated: the newest record is seq 6, behind the audit anchor of .* \(seq 9, hash a+\): records 7\.\.9 were removed$/,
    );
  });

  it('names a rewritten anchored record', () => {
    expect(anchorMismatch(anchor(5), { seq: 8, hash: H('f') }, { hash: H('b') }, undefined)).toMatch(
      /^rewritten: record 5 has hash b+/,
    );
  });

  it('accepts an anchored record a retention checkpoint covers, and names one missing without it', () => {
    expect(anchorMismatch(anchor(5), { seq: 8, hash: H('f') }, undefined, { seq: 6, hash: H('c') })).toBeUndefined();
    expect(anchorMismatch(anchor(5), { seq: 8, hash: H('f') }, undefined, { seq: 5, hash: H('c') })).toMatch(
      /^rewritten: the retention checkpoint at seq 5/,
    );
    expect(anchorMismatch(anchor(5), { seq: 8, hash: H('f') }, undefined, undefined)).toMatch(
      /^missing: record 5 .* no retention checkpoint covers it$/,
    );
  });
});
