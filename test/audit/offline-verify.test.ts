import { GENESIS_HASH, computeRecordHash } from '../../src/audit/hash';
import { parseCsv, verifyExportText, verifySegment, type ChainLink } from '../../src/audit/offline-verify';
import type { AuditEventInput, AuditRecord } from '../../src/audit/types';
import { checkTimelineLink, signTimelineLink } from '../../src/api/ui/signed-link';

/** A chain of `n` records alternating between two incidents. */
function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const input: AuditEventInput = {
      idempotencyKey: `k-${seq}`,
      time: new Date(Date.UTC(2026, 10, 20, 11, 0, seq)).toISOString(),
      incidentId: seq % 2 === 1 ? 'inc-a' : 'inc-b',
      actor: { type: 'system', id: 'interlock', channel: 'engine' },
      eventType: 'alert.received',
      details: { note: 'a "quoted", comma\nand newline' },
    };
    const hash = computeRecordHash(prevHash, input, seq);
    records.push({ ...input, seq, prevHash, hash });
    prevHash = hash;
  }
  return records;
}

const linkOf = (r: AuditRecord): ChainLink => ({ seq: r.seq, prevHash: r.prevHash, hash: r.hash });

describe('verifySegment', () => {
  const all = chain(7);
  const mine = all.filter((r) => r.incidentId === 'inc-a');
  const links = all.filter((r) => r.incidentId === 'inc-b').map(linkOf);

  it('verifies an incident with the links of the records in between', () => {
    expect(verifySegment(mine, links)).toEqual({
      ok: true,
      checked: 4,
      linksChecked: 3,
      contiguous: true,
      firstSeq: 1,
      lastSeq: 7,
    });
  });

  it('names a changed record, a missing link and a relinked record', () => {
    const changed = mine.map((r) => (r.seq === 3 ? { ...r, eventType: 'alert.duplicate' as const } : r));
    expect(verifySegment(changed, links).firstBroken).toEqual({
      seq: 3,
      reason: expect.stringMatching(/hash mismatch/) as unknown,
      idempotencyKey: 'k-3',
    });
    expect(verifySegment(mine, links.slice(1)).firstBroken).toMatchObject({
      seq: 3,
      reason: 'seq gap: 2..2 missing from the export',
    });
    const forgedLink = links.map((l) => (l.seq === 4 ? { ...l, hash: 'f'.repeat(64) } : l));
    expect(verifySegment(mine, forgedLink).firstBroken).toMatchObject({ seq: 5, reason: /prev_hash/ });
  });

  it('reads the JSON and CSV exports', () => {
    expect(verifyExportText(JSON.stringify({ records: mine, chainLinks: links })).ok).toBe(true);
    const cell = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const csv = [
      'seq,eventType,prevHash,hash,record',
      ...mine.map((r) => {
        const { seq, prevHash, hash, ...content } = r;
        return [String(seq), r.eventType, prevHash, hash, JSON.stringify(content)].map(cell).join(',');
      }),
    ].join('\r\n');
    expect(parseCsv(csv)).toHaveLength(mine.length + 1);
    expect(verifyExportText(csv)).toMatchObject({ ok: true, checked: 4, contiguous: false });
    expect(verifyExportText(csv.replace('inc-a', 'inc-z')).firstBroken?.seq).toBe(1);
    expect(() => verifyExportText('{"records": []}')).toThrow(/not an Interlock audit export/);
  });
});

describe('timeline links', () => {
  const now = Date.UTC(2026, 10, 20, 12, 0, 0);
  const key = 'omar-key-0123456789abcdef';

  it('accepts its own link until it expires, and nothing else', () => {
    const { query } = signTimelineLink(key, 'inc-1', 'omar', now);
    const params = new URLSearchParams(query);
    const link = { op: params.get('op') ?? '', exp: Number(params.get('exp')), sig: params.get('sig') ?? '' };
    expect(checkTimelineLink(key, 'inc-1', link, now)).toBe(true);
    expect(checkTimelineLink(key, 'inc-2', link, now)).toBe(false);
    expect(checkTimelineLink('another-key-0123456789', 'inc-1', link, now)).toBe(false);
    expect(checkTimelineLink(key, 'inc-1', { ...link, op: 'grace' }, now)).toBe(false);
    expect(checkTimelineLink(key, 'inc-1', link, now + 16 * 60_000)).toBe(false);
    expect(checkTimelineLink(key, 'inc-1', { ...link, exp: link.exp + 3600 }, now)).toBe(false);
  });
});
