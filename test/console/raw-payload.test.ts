/**
 * The raw payload block of the incident page (issue 17): the stored body escaped, JSON
 * re-indented without changing a value, collapsed, with the hash check and the states of a
 * body that is truncated, not stored, unreadable or not loaded.
 */
import { createHash } from 'node:crypto';
import { PAGE_RAW_TEXT_CHARS, prettyJson, rawPayloadBlock } from '../../src/api/console/raw-payload';
import type { StoredRawBody } from '../../src/intake/raw-body-store';

const INCIDENT = 'inc-0123456789abcdef01234567';
const HOSTILE = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> "quoted" & 'single'`;

function stored(text: string, overrides: Partial<StoredRawBody> = {}): StoredRawBody {
  const body = Buffer.from(text, 'utf8');
  return {
    sha256: createHash('sha256').update(body).digest('hex'),
    source: 'generic',
    receivedAt: '2026-11-20T12:00:00.000Z',
    lastReceivedAt: '2026-11-20T12:00:00.000Z',
    size: body.length,
    truncated: false,
    encryptedWith: 'k1',
    body,
    sha256Matches: true,
    ...overrides,
  };
}

describe('prettyJson', () => {
  it('indents JSON and keeps every value as written: big numbers, duplicate keys, escapes', () => {
    const text = '{"id":12345678901234567890,"a":1,"a":2,"s":"x\\u003cy \\" ,:{[","e":{},"l":[ ],"n":[1,{"b":null}]}';
    expect(prettyJson(text)).toBe(
      [
        '{',
        '  "id": 12345678901234567890,',
        '  "a": 1,',
        '  "a": 2,',
        '  "s": "x\\u003cy \\" ,:{[",',
        '  "e": {},',
        '  "l": [],',
        '  "n": [',
        '    1,',
        '    {',
        '      "b": null',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(prettyJson(text) as string)).toEqual(JSON.parse(text));
  });

  it('leaves what is not JSON alone', () => {
    expect(prettyJson('{"a":')).toBeUndefined();
    expect(prettyJson('plain text')).toBeUndefined();
  });
});

describe('rawPayloadBlock', () => {
  it('shows a stored body escaped, pretty-printed, collapsed, with the hash check and a download link', () => {
    const body = stored(JSON.stringify({ title: HOSTILE, id: 'gen-1' }));
    const html = rawPayloadBlock({ incidentId: INCIDENT, sha256: body.sha256, read: true, stored: body });
    expect(html).toMatch(
      /^<details class="raw-payload" data-raw-state="stored"><summary>Raw payload \(JSON, \d+ bytes\)/,
    );
    expect(html).toContain('SHA-256 <b class="ok">matches</b> the audited hash');
    expect(html).toContain('encrypted at rest (key k1)');
    expect(html).toContain(`href="/console/incidents/${INCIDENT}/raw-bodies/${body.sha256}"`);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=\\&quot;window.pwned=1\\&quot;&gt;&lt;script&gt;');
    expect(html).toContain('  &quot;id&quot;: &quot;gen-1&quot;');
  });

  it('says when the stored bytes do not hash to the audited SHA-256', () => {
    const body = stored('{"a":1}', { sha256Matches: false, encryptedWith: null });
    const html = rawPayloadBlock({ incidentId: INCIDENT, sha256: body.sha256, read: true, stored: body });
    expect(html).toContain('<b class="bad">DOES NOT MATCH</b>');
    expect(html).toContain('stored in clear');
  });

  it('shows a truncated body as text, says so, and does not claim a hash check', () => {
    const body = stored('{"blob":"xxxx', { truncated: true, size: 300_000, sha256Matches: null });
    const html = rawPayloadBlock({ incidentId: INCIDENT, sha256: body.sha256, read: true, stored: body });
    expect(html).toContain('data-raw-state="truncated"');
    expect(html).toContain('Raw payload (text, <b>truncated</b>: first 13 bytes of 293.0 KiB kept)');
    expect(html).toContain('SHA-256 not checked');
    expect(html).toContain('<pre class="raw">{&quot;blob&quot;:&quot;xxxx</pre>');
  });

  it('shows at most PAGE_RAW_TEXT_CHARS of a body on the page', () => {
    const body = stored(`"${'y'.repeat(PAGE_RAW_TEXT_CHARS + 10)}"`);
    const html = rawPayloadBlock({ incidentId: INCIDENT, sha256: body.sha256, read: true, stored: body });
    expect(html).toContain('are shown; download the rest');
    expect(html.match(/y{100,}/)?.[0].length).toBe(PAGE_RAW_TEXT_CHARS - 1);
  });

  it('names the other states: not stored, unreadable, not loaded, no hash', () => {
    const sha256 = 'a'.repeat(64);
    expect(rawPayloadBlock({ incidentId: INCIDENT, sha256, read: true, stored: undefined })).toContain(
      'data-raw-state="not-stored">Raw payload: <b>not stored</b> (older than its retention, or storing was off',
    );
    const unreadable = stored('x', {
      unreadable: `encrypted with key "<k9>", which is not listed`,
      sha256Matches: null,
    });
    delete unreadable.body;
    expect(rawPayloadBlock({ incidentId: INCIDENT, sha256, read: true, stored: unreadable })).toContain(
      'cannot be read</b> — encrypted with key &quot;&lt;k9&gt;&quot;, which is not listed',
    );
    expect(rawPayloadBlock({ incidentId: INCIDENT, sha256, read: false, stored: undefined })).toContain(
      'data-raw-state="not-loaded"',
    );
    expect(rawPayloadBlock({ incidentId: INCIDENT, sha256: undefined, read: true, stored: undefined })).toBe('');
  });
});
