import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { splitCanonical } from '../../src/audit/audit-store';
import { GENESIS_HASH, computeRecordHash } from '../../src/audit/hash';
import type { AuditEventInput } from '../../src/audit/types';

const input: AuditEventInput = {
  idempotencyKey: 'k-1',
  time: '2026-03-01T10:00:00.000Z',
  incidentId: 'inc-1',
  actor: { type: 'system', id: 'interlock' },
  eventType: 'incident.opened',
  details: { score: 1e21, note: 'é' },
};

describe('computeRecordHash', () => {
  it('is sha256(prevHash + "\\n" + JCS({seq, ...input}))', () => {
    // JCS: keys sorted by UTF-16 code units, no whitespace, ES number formatting (1e21 -> 1e+21).
    const canonical =
      '{"actor":{"id":"interlock","type":"system"},"details":{"note":"é","score":1e+21},' +
      '"eventType":"incident.opened","idempotencyKey":"k-1","incidentId":"inc-1","seq":7,' +
      '"time":"2026-03-01T10:00:00.000Z"}';
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`, 'utf8').digest('hex');
    expect(computeRecordHash(GENESIS_HASH, input, 7)).toBe(expected);
  });

  it('does not depend on key order', () => {
    const reordered = Object.fromEntries(Object.entries(input).reverse()) as unknown as AuditEventInput;
    expect(computeRecordHash(GENESIS_HASH, reordered, 1)).toBe(computeRecordHash(GENESIS_HASH, input, 1));
  });

  it('changes with the previous hash, the seq and the content', () => {
    const base = computeRecordHash(GENESIS_HASH, input, 1);
    expect(computeRecordHash('1'.repeat(64), input, 1)).not.toBe(base);
    expect(computeRecordHash(GENESIS_HASH, input, 2)).not.toBe(base);
    expect(computeRecordHash(GENESIS_HASH, { ...input, incidentId: 'inc-2' }, 1)).not.toBe(base);
  });

  it('uses 64 zeros as the genesis hash', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });
});

describe('splitCanonical (the append function hashes before + seq + after)', () => {
  it('joins around the seq into exactly the canonical JSON computeRecordHash hashes', () => {
    const keys = fc.constantFrom(
      'actor',
      'result',
      'sa',
      'sep',
      'seq0',
      'seqa',
      'ser',
      'time',
      'z',
      'Seq',
      '_',
      '~',
      'é',
    );
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
      fc.dictionary(fc.string(), fc.string()),
    );
    fc.assert(
      fc.property(fc.dictionary(keys, value), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (record, seq) => {
        const event = record as unknown as AuditEventInput;
        const { before, after } = splitCanonical(event);
        expect(`${before}${seq}${after}`).toBe(canonicalize({ seq, ...event }));
      }),
      { numRuns: 500 },
    );
    expect(splitCanonical({} as AuditEventInput)).toEqual({ before: '{"seq":', after: '}' });
  });
});
