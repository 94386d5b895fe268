import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../src/intake/json-depth';

function nestedArrays(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
}

describe('jsonDepthExceeds', () => {
  it('accepts real alerts and values up to the limit', () => {
    expect(jsonDepthExceeds({ result: { user: 'jdoe' }, alerts: [{ host: { ip: ['10.0.0.1'] } }] })).toBe(false);
    expect(jsonDepthExceeds(nestedArrays(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds('text')).toBe(false);
  });

  it('refuses deeper nesting, even far beyond what recursion could handle', () => {
    expect(jsonDepthExceeds(nestedArrays(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds(nestedArrays(100_000))).toBe(true);
    let deepObject: Record<string, unknown> = {};
    for (let i = 0; i < 200; i += 1) deepObject = { a: deepObject };
    expect(jsonDepthExceeds(deepObject)).toBe(true);
  });
});
