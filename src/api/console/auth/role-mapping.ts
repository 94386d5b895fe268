import type { ConsoleOidcConfig, OperatorConfig } from '../../../config/schema';
import type { AuthenticatedOperator } from '../../auth/operator-directory';

export type RoleMappingResult =
  { ok: true; operator: AuthenticatedOperator } | { ok: false; reason: 'no-operator' | 'no-role'; detail: string };

function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * Who an ID token's claims sign in as. Identity: the configured operator whose `id`, else
 * whose `email` (case-insensitive), equals the `operatorClaim` — never a synthetic operator,
 * so an approval is always cast by an operator the configuration names (the validator keys
 * duplicate votes on the operator ID; one person is one ID). Roles: those the `roleMap` gives
 * the `roleClaim`'s values, kept only when the operator also holds them in the configuration —
 * neither the IdP nor the file alone grants an approval right, and removing a user from a
 * group at the IdP takes the role away at their next sign-in. No role left: refused.
 */
export function mapClaimsToOperator(
  claims: Record<string, unknown>,
  oidc: Pick<ConsoleOidcConfig, 'roleClaim' | 'roleMap' | 'operatorClaim'>,
  operators: readonly OperatorConfig[],
): RoleMappingResult {
  const name = claims[oidc.operatorClaim];
  if (typeof name !== 'string' || name === '')
    return { ok: false, reason: 'no-operator', detail: `the ID token has no ${oidc.operatorClaim} claim` };
  const operator =
    operators.find((o) => o.id === name) ??
    operators.find((o) => o.email !== undefined && o.email.toLowerCase() === name.toLowerCase());
  if (operator === undefined)
    return { ok: false, reason: 'no-operator', detail: `no configured operator matches ${oidc.operatorClaim}` };
  const mapped = new Set(
    claimValues(claims[oidc.roleClaim]).flatMap((value) =>
      Object.hasOwn(oidc.roleMap, value) ? (oidc.roleMap[value] ?? []) : [],
    ),
  );
  const roles = operator.roles.filter((role) => mapped.has(role));
  if (roles.length === 0)
    return {
      ok: false,
      reason: 'no-role',
      detail: `no ${oidc.roleClaim} value maps to a role operator ${operator.id} holds`,
    };
  return { ok: true, operator: { id: operator.id, name: operator.name, roles } };
}
