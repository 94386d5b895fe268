/**
 * The raw payload of an alert on the console's incident page: the webhook body as stored
 * (src/intake/raw-body-store.ts), escaped, pretty-printed when it is JSON, collapsed; or why
 * it is not there. Whether the stored bytes hash to the audited `rawSha256` is shown beside it.
 */
import type { StoredRawBody } from '../../intake/raw-body-store';
import { e } from './layout';

/** The most text of one body shown on the page; the whole stored body is a download away. */
export const PAGE_RAW_TEXT_CHARS = 64 * 1024;

/**
 * Re-indents valid JSON without parsing its values: every string and number keeps its exact
 * text (a duplicate key, a 20-digit ID or an escape sequence is shown as the sender wrote it,
 * where JSON.parse would drop, round or decode it). undefined when `text` is not JSON.
 */
export function prettyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  let out = '';
  let depth = 0;
  let inString = false;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      if (text[j] === close) {
        out += c + close;
        i = j;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') out += c + newline();
    else if (c === ':') out += ': ';
    else out += c;
  }
  return out;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export interface RawPayloadInput {
  incidentId: string;
  /** The audited `trigger.rawSha256`. */
  sha256: string | undefined;
  /** Whether the page read this body (it reads the first PAGE_RAW_BODIES distinct ones). */
  read: boolean;
  stored: StoredRawBody | undefined;
}

/** The alert's raw payload block (HTML). */
export function rawPayloadBlock({ incidentId, sha256, read, stored }: RawPayloadInput): string {
  if (sha256 === undefined || sha256 === '') return '';
  const download = `/console/incidents/${e(incidentId)}/raw-bodies/${e(sha256)}`;
  if (!read)
    return `<p class="raw-payload" data-raw-state="not-loaded">Raw payload: not loaded on this page (too many distinct bodies) — <a href="${download}">download it</a>.</p>`;
  if (stored === undefined)
    return `<p class="raw-payload" data-raw-state="not-stored">Raw payload: <b>not stored</b> (older than its retention, or storing was off when it arrived). The SHA-256 above is what the audit trail keeps.</p>`;
  if (stored.body === undefined)
    return `<p class="raw-payload" data-raw-state="unreadable">Raw payload: <b class="bad">cannot be read</b> — ${e(stored.unreadable)}.</p>`;

  const text = stored.body.toString('utf8');
  const pretty = stored.truncated ? undefined : prettyJson(text);
  const shown = pretty ?? text;
  const cut = shown.length > PAGE_RAW_TEXT_CHARS;
  const kind = pretty !== undefined ? 'JSON' : 'text';
  const size = stored.truncated
    ? `<b>truncated</b>: first ${e(bytes(stored.body.length))} of ${e(bytes(stored.size))} kept`
    : e(bytes(stored.size));
  const hash =
    stored.sha256Matches === true
      ? 'SHA-256 <b class="ok">matches</b> the audited hash'
      : stored.sha256Matches === false
        ? 'SHA-256 <b class="bad">DOES NOT MATCH</b> the audited hash'
        : 'SHA-256 not checked (only part of the body was kept)';
  const facts = [
    hash,
    stored.encryptedWith === null ? 'stored in clear' : `encrypted at rest (key ${e(stored.encryptedWith)})`,
    `from ${e(stored.source)}, first received ${e(stored.receivedAt)}`,
    `<a href="${download}">Download the stored bytes</a>`,
  ];
  return `<details class="raw-payload" data-raw-state="${stored.truncated ? 'truncated' : 'stored'}"><summary>Raw payload (${kind}, ${size})</summary>
<p class="raw-facts">${facts.join(' · ')}</p>${cut ? `<p class="raw-facts">The first ${e(bytes(PAGE_RAW_TEXT_CHARS))} are shown; download the rest.</p>` : ''}
<pre class="raw">${e(cut ? shown.slice(0, PAGE_RAW_TEXT_CHARS) : shown)}</pre></details>`;
}
