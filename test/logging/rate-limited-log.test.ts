/**
 * RateLimitedLog (issue 13): what an outsider can trigger at will is logged at most once per key
 * per interval, and the lines say how many were suppressed.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { RateLimitedLog } from '../../src/logging';

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** pino writes through the stream asynchronously: let it drain. */
const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('RateLimitedLog', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('logs the first event of a burst at once and sums the rest up in one line per interval and key', async () => {
    const { log, lines } = capture();
    const limited = new RateLimitedLog(log, 60_000);
    for (let i = 0; i < 1_000; i += 1) limited.warn('bad_signature', { reason: 'bad_signature' }, 'refused');
    limited.warn('stale_timestamp', { reason: 'stale_timestamp' }, 'refused');
    await flushed();
    expect(lines.map((l) => [l['level'], l['reason'], l['suppressed']])).toEqual([
      [40, 'bad_signature', undefined],
      [40, 'stale_timestamp', undefined],
    ]);

    // Still inside the interval: nothing more is written.
    jest.advanceTimersByTime(59_000);
    for (let i = 0; i < 10; i += 1) limited.warn('bad_signature', { reason: 'bad_signature' }, 'refused');
    await flushed();
    expect(lines).toHaveLength(2);

    // End of the interval: one summary with the count (the lone stale_timestamp needs none).
    jest.advanceTimersByTime(1_000);
    await flushed();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({
      reason: 'bad_signature',
      suppressed: 1_009,
      msg: 'refused (1009 more in the last 60 s)',
    });

    // The summary opened a new interval: the burst's tail is counted into the next summary.
    for (let i = 0; i < 5; i += 1) limited.warn('bad_signature', { reason: 'bad_signature' }, 'refused');
    jest.advanceTimersByTime(60_000);
    await flushed();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ reason: 'bad_signature', suppressed: 5 });

    // A quiet interval closes the window; the next event is logged at once again.
    jest.advanceTimersByTime(60_000);
    limited.warn('bad_signature', { reason: 'bad_signature' }, 'refused');
    await flushed();
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatchObject({ reason: 'bad_signature', msg: 'refused' });
    expect(lines[4]).not.toHaveProperty('suppressed');
  });
});
