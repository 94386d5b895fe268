import { createHash, timingSafeEqual } from 'node:crypto';
import type { OperatorConfig } from '../../config/schema';

export interface AuthenticatedOperator {
  id: string;
  name: string;
  roles: string[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Finds the operator behind an API key. Keys are kept only as SHA-256 digests and every
 * key is compared (in constant time), so timing reveals neither a key nor which matched.
 */
export class OperatorDirectory {
  private readonly keyed: { digest: Buffer; operator: AuthenticatedOperator }[];

  constructor(private readonly operators: OperatorConfig[]) {
    this.keyed = operators
      .filter((o): o is OperatorConfig & { apiKey: string } => o.apiKey !== undefined)
      .map((o) => ({ digest: digest(o.apiKey), operator: { id: o.id, name: o.name, roles: o.roles } }));
  }

  authenticate(authorization: string | undefined): AuthenticatedOperator | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) return undefined;
    const presented = digest(match[1] as string);
    let found: AuthenticatedOperator | undefined;
    for (const entry of this.keyed) {
      if (timingSafeEqual(presented, entry.digest)) found = entry.operator;
    }
    return found;
  }

  byId(id: string): OperatorConfig | undefined {
    return this.operators.find((o) => o.id === id);
  }
}
