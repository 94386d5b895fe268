import type { Alert } from '../../src/alerts/alert';
import { NormalizedAlertCache } from '../../src/intake/normalized-alert-cache';
import { normalize as normalizeElastic } from '../../src/intake/normalizers/elastic';
import { normalize as normalizeGeneric } from '../../src/intake/normalizers/generic';
import { normalize as normalizeSplunk } from '../../src/intake/normalizers/splunk';
import { contextFor, loadFixture, RECEIVED_AT } from './normalizers/support';

const LATER = '2026-11-21T00:05:00.000Z';

function cached(cache: NormalizedAlertCache, source: string, raw: Buffer | string, alerts: Alert[]): string {
  const { rawSha256 } = contextFor(source, raw);
  cache.set(source, rawSha256, alerts);
  return rawSha256;
}

describe('NormalizedAlertCache', () => {
  it('misses for a body it has not seen', () => {
    const cache = new NormalizedAlertCache(10);
    const splunk = loadFixture('splunk');
    expect(cache.get('splunk', contextFor('splunk', splunk.raw).rawSha256, LATER)).toBeUndefined();
  });

  it('gives an identical re-delivery the same alert, timed at its own receipt when the vendor sent no time', () => {
    const cache = new NormalizedAlertCache(10);
    const splunk = loadFixture('splunk');
    const first = normalizeSplunk(splunk.body, contextFor('splunk', splunk.raw));
    expect(first[0]?.time).toBe(RECEIVED_AT); // Splunk's fixture carries no _time
    const sha = cached(cache, 'splunk', splunk.raw, first);

    const again = cache.get('splunk', sha, LATER);
    expect(again).toHaveLength(1);
    expect(again?.[0]).toEqual({ ...first[0], time: LATER });
    // The first delivery's alert keeps its own receipt time.
    expect(first[0]?.time).toBe(RECEIVED_AT);
  });

  it('keeps the vendor time of every alert that has one, for each alert of a multi-alert delivery', () => {
    const cache = new NormalizedAlertCache(10);
    const fixture = loadFixture('elastic').body as { alerts: { kibana: { alert: { uuid: string } } }[] };
    const second = structuredClone(fixture.alerts[0]) as { kibana: { alert: { uuid: string } } };
    second.kibana.alert.uuid = '0b7e2c41-5d3a-4f6e-9c10-2a8b7d6e5f40';
    const body = JSON.stringify({ ...fixture, alerts: [...fixture.alerts, second] });
    const first = normalizeElastic(JSON.parse(body), contextFor('elastic', body));
    expect(first).toHaveLength(2);
    const sha = cached(cache, 'elastic', body, first);

    const again = cache.get('elastic', sha, LATER) ?? [];
    expect(again.map((a) => a.uid)).toEqual(first.map((a) => a.uid));
    expect(again.map((a) => a.time)).toEqual(first.map((a) => a.time));
    expect(again.map((a) => a.time)).not.toContain(LATER);
  });

  it('re-stamps only the alert without a vendor time', () => {
    const cache = new NormalizedAlertCache(10);
    const withTime = { id: 'a-1', time: '2026-11-20T11:00:00Z', title: 'x', severity: 'low' };
    const withoutTime = { id: 'a-2', title: 'y', severity: 'low' };
    const timed = normalizeGeneric(withTime, contextFor('generic', JSON.stringify(withTime)));
    const untimed = normalizeGeneric(withoutTime, contextFor('generic', JSON.stringify(withoutTime)));
    const timedSha = cached(cache, 'generic', JSON.stringify(withTime), timed);
    const untimedSha = cached(cache, 'generic', JSON.stringify(withoutTime), untimed);

    expect(cache.get('generic', timedSha, LATER)?.[0]?.time).toBe('2026-11-20T11:00:00.000Z');
    expect(cache.get('generic', untimedSha, LATER)?.[0]?.time).toBe(LATER);
  });

  it('does not share alerts between sources, even for the same bytes', () => {
    const cache = new NormalizedAlertCache(10);
    const splunk = loadFixture('splunk');
    const sha = cached(cache, 'splunk', splunk.raw, normalizeSplunk(splunk.body, contextFor('splunk', splunk.raw)));
    expect(cache.get('splunk-plant-a', sha, LATER)).toBeUndefined();
    expect(cache.get('splunk', sha, LATER)).toBeDefined();
  });

  it('keeps at most its capacity, forgetting the least recently used delivery', () => {
    const cache = new NormalizedAlertCache(2);
    const bodies = ['a', 'b', 'c'].map((id) => ({ id, title: id, severity: 'low' }));
    const shas = bodies.map((body) =>
      cached(
        cache,
        'generic',
        JSON.stringify(body),
        normalizeGeneric(body, contextFor('generic', JSON.stringify(body))),
      ),
    );
    expect(cache.size).toBe(2);
    expect(cache.get('generic', shas[0] as string, LATER)).toBeUndefined();
    expect(cache.get('generic', shas[2] as string, LATER)?.[0]?.uid).toBe('c');
  });

  it('freezes what it shares, so no delivery can change another one’s alert', () => {
    const cache = new NormalizedAlertCache(10);
    const splunk = loadFixture('splunk');
    const sha = cached(cache, 'splunk', splunk.raw, normalizeSplunk(splunk.body, contextFor('splunk', splunk.raw)));
    const alert = cache.get('splunk', sha, LATER)?.[0] as Alert;
    expect(() => alert.hosts.push({ hostname: 'other' })).toThrow(TypeError);
    expect(() => {
      (alert.rule as { name?: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(cache.get('splunk', sha, LATER)?.[0]?.rule.name).toBe('EDR - Ransomware Behaviour');
  });
});
