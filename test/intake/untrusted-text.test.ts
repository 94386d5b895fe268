import fc from 'fast-check';
import canonicalize from 'canonicalize';
import {
  REPLACEMENT_CHARACTER,
  hasUnsafeCharacters,
  parseUntrustedJson,
  repairStrings,
  repairText,
} from '../../src/intake/untrusted-text';

/** Every key and string value in a JSON-like value. */
function allText(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allText);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => [key, ...allText(item)]);
  return [];
}

describe('the rule for text from outside', () => {
  it('replaces NUL and lone surrogates with U+FFFD and keeps everything else', () => {
    expect(repairText('Ransomware note \udc00.txt')).toBe(`Ransomware note ${REPLACEMENT_CHARACTER}.txt`);
    expect(repairText('a\u0000b')).toBe('a\ufffdb');
    expect(repairText('\ud800')).toBe('\ufffd');
    expect(repairText('x\ud800\ud800\udc00')).toBe('x\ufffd\ud800\udc00');
    expect(repairText('\udc00\ud800')).toBe('\ufffd\ufffd');
    // Paired surrogates, other controls and separators are legitimate text.
    const kept = 'ok \ud83d\ude00 \u0001\u001b\u007f\u2028 \t\n';
    expect(repairText(kept)).toBe(kept);
    expect(hasUnsafeCharacters(kept)).toBe(false);
  });

  it('repairs keys and values at any depth and leaves clean values untouched (same references)', () => {
    const clean = { a: ['x', { b: 'y' }], n: 1, t: true, z: null };
    expect(repairStrings(clean)).toBe(clean);
    const dirty = { ['k\u0000']: ['ok', { deep: '\udc00' }], same: clean };
    const repaired = repairStrings(dirty);
    expect(repaired).toEqual({ ['k\ufffd']: ['ok', { deep: '\ufffd' }], same: clean });
    expect(repaired.same).toBe(clean);
  });

  it('keeps a "__proto__" key as data when it repairs an object', () => {
    const parsed = parseUntrustedJson('{"__proto__": {"polluted": "\\u0000"}, "x": 1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('parses JSON whose escapes spell NUL or surrogate halves into repaired values', () => {
    expect(parseUntrustedJson('{"title":"note \\udc00.txt","n":"\\u0000"}')).toEqual({
      title: 'note \ufffd.txt',
      n: '\ufffd',
    });
    // An escaped backslash followed by "u0000" is the literal text, not a NUL.
    expect(parseUntrustedJson('{"t":"\\\\u0000"}')).toEqual({ t: '\\u0000' });
    expect(parseUntrustedJson('{"e":"\\ud83d\\ude00"}')).toEqual({ e: '\ud83d\ude00' });
  });

  it('always yields text that canonical JSON (the audit hash input) accepts and that holds no NUL', () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.string({ unit: 'binary' }),
        fc.array(fc.integer({ min: 0, max: 0xffff })),
        (json, s, units) => {
          const text = `${s}${String.fromCharCode(...units)}`;
          const value = repairStrings({ doc: JSON.parse(json) as unknown, text, [text]: text });
          const canonical = canonicalize(value);
          expect(typeof canonical).toBe('string');
          // Every key and string, NUL and lone surrogates included, is checked one by one.
          expect(allText(value).filter(hasUnsafeCharacters)).toEqual([]);
          expect(parseUntrustedJson(JSON.stringify({ text }))).toEqual({ text: repairText(text) });
        },
      ),
    );
  });
});
