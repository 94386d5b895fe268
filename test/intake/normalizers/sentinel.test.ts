import { normalize } from '../../../src/intake/normalizers/sentinel';
import { sha256Hex } from '../../../src/intake/raw-body';
import { clone, contextFor, loadFixture, only, rejectedPaths, run } from './support';

const fixture = loadFixture('sentinel');
type Body = { object: { name?: string; id?: string; properties: Record<string, unknown> } } & Record<string, unknown>;
const body = () => clone(fixture.body as Body);

describe('sentinel normalizer', () => {
  it('normalizes the fixture', () => {
    const alert = only(normalize(fixture.body, contextFor('sentinel', fixture.raw)));
    expect(alert).toEqual({
      classUid: 2004,
      uid: 'a3b1c9d0-1e2f-4a5b-8c7d-9e0f1a2b3c4d',
      time: '2026-11-20T10:15:02.000Z',
      title: 'Suspicious PowerShell on finance server',
      severity: 'high',
      severityId: 4,
      vendorSeverity: 'High',
      rule: { uid: 'b0c1d2e3-0000-4000-8000-000000000001' },
      hosts: [{ hostname: 'fin-srv-01' }],
      ips: ['10.30.1.15'],
      users: ['m.keller'],
      observables: [
        { type: 'hostname', value: 'fin-srv-01' },
        { type: 'ip', value: '10.30.1.15' },
        { type: 'user', value: 'm.keller' },
      ],
      network: { protocol: 'unknown', industrial: false, safety: false },
      ot: { operation: 'unknown' },
      attacks: [],
      // additionalData.tactics ["Execution"], no technique.
      category: 'execution',
      provenance: { category: 'attacks' },
      source: { name: 'sentinel', product: 'Microsoft Sentinel' },
      rawSha256: sha256Hex(fixture.raw),
    });
  });

  it('gives an Update of the incident the same uid as its Create', () => {
    const update = body();
    update.objectEventType = 'Update';
    update.eventUniqueId = 'another-event';
    update.object.properties.status = 'Active';
    expect(only(run(normalize, 'sentinel', update)).uid).toBe(only(run(normalize, 'sentinel', body())).uid);
  });

  it('maps Informational, uses IP entities as hosts when no Host entity exists, ignores other kinds', () => {
    const b = body();
    b.object.properties.severity = 'Informational';
    b.object.properties.relatedEntities = [
      { kind: 'Ip', properties: { address: '10.30.1.16' } },
      { kind: 'Url', properties: { url: 'https://evil.example' } },
      { kind: 'account', properties: { userPrincipalName: 'x@corp.example.net' } },
    ];
    delete b.object.properties.firstActivityTimeUtc;
    const alert = only(run(normalize, 'sentinel', b));
    expect([alert.severity, alert.severityId]).toEqual(['informational', 1]);
    expect(alert.hosts).toEqual([{ ip: '10.30.1.16' }]);
    expect(alert.users).toEqual(['x@corp.example.net']);
    expect(alert.time).toBe('2026-11-20T10:21:40.000Z');
  });

  it('falls back to object.id, then to <source>:<sha256> for the uid', () => {
    const b = body();
    delete b.object.name;
    expect(only(run(normalize, 'sentinel', b)).uid).toMatch(/\/Incidents\/a3b1c9d0-1e2f-4a5b-8c7d-9e0f1a2b3c4d$/);
    delete b.object.id;
    const ctx = contextFor('sentinel', JSON.stringify(b));
    expect(only(normalize(b, ctx)).uid).toBe(`sentinel:${ctx.rawSha256}`);
  });

  it('rejects invalid bodies with field paths', () => {
    const b = body();
    delete b.object.properties.title;
    b.object.properties.relatedEntities = [{ properties: {} }];
    expect(rejectedPaths(normalize, 'sentinel', b).sort()).toEqual([
      'object.properties.relatedEntities.0.kind',
      'object.properties.title',
    ]);
    expect(rejectedPaths(normalize, 'sentinel', { eventUniqueId: 'x' })).toEqual(['object']);
  });
});
