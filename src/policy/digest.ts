import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ActionRequest } from '../actions/catalog';

/**
 * Rule 8: an approval binds to this digest of the exact action. Any change to the type,
 * the resolved target, a parameter or the enforcement point yields another digest.
 */
export function actionDigest(action: ActionRequest, resolvedTargetId: string, enforcementPoint: string): string {
  const canonical =
    canonicalize({ type: action.type, target: resolvedTargetId, params: action.params, enforcementPoint }) ?? '';
  return createHash('sha256').update(canonical).digest('hex');
}
