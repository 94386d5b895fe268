import { mapClaimsToOperator } from '../../src/api/console/auth/role-mapping';
import type { OperatorConfig } from '../../src/config/schema';

const operators: OperatorConfig[] = [
  { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer', 'break-glass'], email: 'omar@example.net' },
  { id: 'alice', name: 'Alice Moreau', roles: ['soc-analyst'] },
];
const oidc = {
  roleClaim: 'groups',
  operatorClaim: 'preferred_username',
  roleMap: { 'OT Engineers': ['ot-engineer'], 'SOC Tier 1': ['soc-analyst'], constructor: ['x'] },
};

describe('mapClaimsToOperator', () => {
  it('maps a configured operator by id, with the mapped roles the operator also holds', () => {
    expect(
      mapClaimsToOperator({ preferred_username: 'omar', groups: ['OT Engineers', 'Everyone'] }, oidc, operators),
    ).toEqual({ ok: true, operator: { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'] } });
  });

  it('matches by email (case-insensitive) and accepts a single-string claim', () => {
    const result = mapClaimsToOperator(
      { preferred_username: 'Omar@Example.net', groups: 'OT Engineers' },
      oidc,
      operators,
    );
    expect(result).toMatchObject({ ok: true, operator: { id: 'omar' } });
  });

  it('never grants a role the configuration does not give the operator', () => {
    expect(
      mapClaimsToOperator({ preferred_username: 'alice', groups: ['OT Engineers'] }, oidc, operators),
    ).toMatchObject({
      ok: false,
      reason: 'no-role',
    });
  });

  it('refuses a user without any mapped role, and ignores inherited object keys', () => {
    for (const groups of [undefined, [], ['Everyone'], ['constructor', 'toString'], 42])
      expect(mapClaimsToOperator({ preferred_username: 'omar', groups }, oidc, operators)).toMatchObject({
        ok: false,
        reason: 'no-role',
      });
  });

  it('refuses an identity that is not a configured operator (no synthetic operators)', () => {
    expect(
      mapClaimsToOperator({ preferred_username: 'mallory', groups: ['OT Engineers'] }, oidc, operators),
    ).toMatchObject({
      ok: false,
      reason: 'no-operator',
    });
    expect(mapClaimsToOperator({ groups: ['OT Engineers'] }, oidc, operators)).toMatchObject({
      ok: false,
      reason: 'no-operator',
    });
  });
});
