import type { Alert } from '../../src/alerts/alert';
import { correlationKey, incidentIdFor, primaryEntity, valueAtPath } from '../../src/intake/correlation';
import { normalize as normalizeGeneric } from '../../src/intake/normalizers/generic';
import { normalize as normalizeSplunk } from '../../src/intake/normalizers/splunk';
import { loadFixture, only, run } from './normalizers/support';

const splunk = loadFixture('splunk').body as { result: Record<string, string> };
const generic = loadFixture('generic').body as Record<string, unknown>;

function splunkAlert(result: Record<string, string>, extra: Record<string, unknown> = {}): Alert {
  return only(run(normalizeSplunk, 'splunk', { ...splunk, result, ...extra }));
}
function genericAlert(body: Record<string, unknown>, source = 'generic'): Alert {
  return only(run(normalizeGeneric, source, body));
}
const idOf = (alert: Alert, fields?: string[]) => incidentIdFor(correlationKey(alert, fields));

describe('incidentIdFor', () => {
  it('is inc- plus the first 24 hex chars of sha256(key), deterministic', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(incidentIdFor('abc')).toBe('inc-ba7816bf8f01cfea414140de');
    expect(incidentIdFor('abc')).toBe(incidentIdFor('abc'));
    expect(incidentIdFor('abd')).not.toBe(incidentIdFor('abc'));
  });
});

describe('correlationKey (default)', () => {
  it('maps a duplicate delivery to the same incident', () => {
    const a = splunkAlert(splunk.result);
    const b = splunkAlert({ ...splunk.result });
    expect(idOf(a)).toBe(idOf(b));
  });

  it('maps an alert storm (same rule, same host, other details) to the same incident', () => {
    const a = splunkAlert(splunk.result);
    const b = splunkAlert({ ...splunk.result, count: '999', src_ip: '203.0.113.9', _time: '1763712999' });
    expect(a.uid).not.toBe(b.uid);
    expect(idOf(a)).toBe(idOf(b));
  });

  it('treats host names case-insensitively', () => {
    const a = splunkAlert({ ...splunk.result, dest_host: 'FIN-LT-042' });
    expect(idOf(a)).toBe(idOf(splunkAlert(splunk.result)));
  });

  it('maps different hosts, rules or sources to different incidents', () => {
    const base = splunkAlert(splunk.result);
    expect(idOf(splunkAlert({ ...splunk.result, dest_host: 'fin-lt-043' }))).not.toBe(idOf(base));
    expect(idOf(splunkAlert(splunk.result, { search_name: 'Other search' }))).not.toBe(idOf(base));
    const otherSource = only(run(normalizeSplunk, 'splunk-plant-a', splunk));
    expect(idOf(otherSource)).not.toBe(idOf(base));
  });

  it('uses rule uid, else rule name, else title', () => {
    const byUid = genericAlert({ ...generic, title: 'A', rule: { id: 'r1', name: 'N' } });
    expect(correlationKey(byUid)).toBe(JSON.stringify(['generic', 'r1', 'vpn-gw-01']));
    const byName = genericAlert({ ...generic, rule: { name: 'N' } });
    expect(correlationKey(byName)).toBe(JSON.stringify(['generic', 'N', 'vpn-gw-01']));
    const byTitle = genericAlert({ ...generic, title: 'T', rule: undefined });
    expect(correlationKey(byTitle)).toBe(JSON.stringify(['generic', 'T', 'vpn-gw-01']));
  });

  it('picks the primary entity in order: host name, host ip, dst ip, src ip, user, none', () => {
    const core = { title: 't', severity: 'low' };
    expect(primaryEntity(genericAlert({ ...core, hosts: [{ name: 'h1', ip: '10.0.0.1' }] }))).toBe('h1');
    expect(primaryEntity(genericAlert({ ...core, hosts: [{ ip: '10.0.0.1' }, { name: 'h2' }] }))).toBe('10.0.0.1');
    expect(primaryEntity(genericAlert({ ...core, dst: { ip: '10.0.0.2' }, src: { ip: '10.0.0.3' } }))).toBe('10.0.0.2');
    expect(primaryEntity(genericAlert({ ...core, src: { ip: '10.0.0.3' }, users: ['u'] }))).toBe('10.0.0.3');
    expect(primaryEntity(genericAlert({ ...core, users: ['u1', 'u2'], ips: ['192.0.2.1'] }))).toBe('u1');
    expect(primaryEntity(genericAlert(core))).toBe('none');
  });

  it('cannot be forged by separators inside values', () => {
    const a = genericAlert({ title: 't', severity: 'low', rule: { id: 'a|b' }, users: ['c'] });
    const b = genericAlert({ title: 't', severity: 'low', rule: { id: 'a' }, users: ['b|c'] });
    expect(correlationKey(a)).not.toBe(correlationKey(b));
  });
});

describe('correlationKey (custom fields)', () => {
  const fields = ['source.name', 'rule.name', 'hosts.0.hostname'];

  it('keys on exactly the configured paths', () => {
    const a = splunkAlert(splunk.result);
    expect(correlationKey(a, fields)).toBe(
      JSON.stringify([
        ['source.name', 'splunk'],
        ['rule.name', 'EDR - Ransomware Behaviour'],
        ['hosts.0.hostname', 'fin-lt-042'],
      ]),
    );
  });

  it('groups what the default separates when the fields say so', () => {
    const a = splunkAlert(splunk.result);
    const b = splunkAlert({ ...splunk.result, dest_host: 'fin-lt-043' });
    expect(idOf(a)).not.toBe(idOf(b));
    expect(idOf(a, ['source.name', 'rule.name'])).toBe(idOf(b, ['source.name', 'rule.name']));
    expect(idOf(a, fields)).not.toBe(idOf(b, fields));
  });

  it('treats missing paths as empty and distinguishes them from values', () => {
    const a = splunkAlert(splunk.result);
    expect(valueAtPath(a, 'hosts.5.hostname')).toBeUndefined();
    expect(valueAtPath(a, 'rule.name.length')).toBeUndefined();
    expect(valueAtPath(a, 'users.0')).toBe('jdoe');
    expect(correlationKey(a, ['rule.uid'])).toBe(JSON.stringify([['rule.uid', null]]));
    expect(correlationKey(a, ['users'])).toBe(JSON.stringify([['users', '["jdoe"]']]));
  });

  it('falls back to the default for an empty field list', () => {
    const a = splunkAlert(splunk.result);
    expect(correlationKey(a, [])).toBe(correlationKey(a));
  });
});
