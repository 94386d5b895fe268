import {
  CachedLookup,
  IntegrationError,
  observableOf,
  observableType,
  RateLimiter,
  TtlCache,
  type Clock,
} from '../integrations';

/** A clock whose sleeps pass at once, moving time on: records how long each wait was. */
function steppingClock(start = 0): Clock & { waits: number[]; advance(ms: number): void } {
  let now = start;
  const waits: number[] = [];
  return {
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    waits,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('observables', () => {
  it.each([
    ['d41d8cd98f00b204e9800998ecf8427e', 'hash'],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'hash'],
    ['E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'hash'],
    ['185.220.101.4', 'ip'],
    ['2001:db8::1', 'ip'],
    ['https://evil.example/a?b=c', 'url'],
    ['evil.example', 'domain'],
    ['sub.evil-site.co.uk', 'domain'],
    ['fin-lt-042', undefined],
    ['d41d8cd98f00b204e9800998ecf8427', undefined],
  ])('%s is a %s', (value, type) => {
    expect(observableType(value)).toBe(type);
  });

  it('takes params.type when given, and lower-cases hashes and domains', () => {
    expect(observableOf('vt', 'EVIL.Example', undefined)).toEqual({ type: 'domain', value: 'evil.example' });
    expect(observableOf('vt', 'intranet', 'domain')).toEqual({ type: 'domain', value: 'intranet' });
    expect(() => observableOf('vt', 'fin-lt-042', undefined)).toThrow(/params\.type/);
    expect(() => observableOf('vt', 'abc', 'hash')).toThrow(/MD5, SHA-1 or SHA-256/);
    expect(() => observableOf('vt', 'abc', 'email')).toThrow(/not one of hash, ip, domain, url/);
    const error = (() => {
      try {
        observableOf('vt', 'x', undefined);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IntegrationError);
    expect((error as IntegrationError).retryable).toBe(false);
  });
});

describe('TtlCache', () => {
  it('forgets entries after the TTL', () => {
    const clock = steppingClock();
    const cache = new TtlCache<number>(1_000, 10, clock);
    cache.set('a', 1);
    clock.advance(999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops the least recently used entry when full', () => {
    const cache = new TtlCache<number>(60_000, 2, steppingClock());
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('keeps nothing with a TTL of 0', () => {
    const cache = new TtlCache<number>(0, 2, steppingClock());
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('lets requestsPerMinute through, then waits until the oldest leaves the minute', async () => {
    const clock = steppingClock();
    const limiter = new RateLimiter('virustotal', { requestsPerMinute: 4 }, clock);
    for (let i = 0; i < 4; i++) {
      await limiter.acquire();
      clock.advance(1_000);
    }
    expect(clock.waits).toEqual([]);
    await limiter.acquire();
    // Requests at 0, 1, 2, 3 s: the fifth (at 4 s) waits until 60 s.
    expect(clock.waits).toEqual([56_000]);
    expect(clock.now()).toBe(60_000);
  });

  it('fails at once, permanently, when the daily quota is spent', async () => {
    const clock = steppingClock();
    const limiter = new RateLimiter('virustotal', { requestsPerMinute: 1000, requestsPerDay: 3 }, clock);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrationError);
    expect((error as IntegrationError).retryable).toBe(false);
    expect((error as Error).message).toContain('daily quota of 3 lookups');
    clock.advance(86_400_000);
    await expect(limiter.acquire()).resolves.toBeUndefined();
  });

  it('stops waiting when the call is abandoned', async () => {
    const limiter = new RateLimiter('misp', { requestsPerMinute: 1 });
    await limiter.acquire();
    await expect(limiter.acquire(AbortSignal.timeout(50))).rejects.toThrow();
  });
});

describe('CachedLookup', () => {
  it('asks once per observable within the TTL; cache hits take no request slot', async () => {
    const clock = steppingClock();
    const front = new CachedLookup('virustotal', { requestsPerMinute: 1, cacheTtl: 3_600_000, cacheSize: 10 }, clock);
    let asked = 0;
    const ask = () => {
      asked += 1;
      return Promise.resolve({ result: { found: true, malicious: 3 }, verdict: '3 engines' });
    };
    const observable = { type: 'hash' as const, value: 'd41d8cd98f00b204e9800998ecf8427e' };
    const first = await front.lookup(observable, ask);
    const second = await front.lookup(observable, ask);
    expect([first.cached, second.cached, asked]).toEqual([false, true, 1]);
    expect(clock.waits).toEqual([]);
  });

  it('caches a not-found answer too, and not a failure', async () => {
    const front = new CachedLookup(
      'misp',
      { requestsPerMinute: 100, cacheTtl: 60_000, cacheSize: 10 },
      steppingClock(),
    );
    const observable = { type: 'ip' as const, value: '10.0.0.1' };
    await expect(front.lookup(observable, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const answer = await front.lookup(observable, () =>
      Promise.resolve({ result: { found: false }, verdict: 'unknown' }),
    );
    expect(answer.cached).toBe(false);
    expect((await front.lookup(observable, () => Promise.reject(new Error('not asked')))).cached).toBe(true);
  });
});
