import { counter, histogram, secondsSince } from './registry';

const actions = counter(
  'interlock_actions_total',
  'Enforcement calls to a connector (each attempt), by connector, action type and outcome (succeeded, failed)',
  ['connector', 'action', 'outcome'],
);
const actionDuration = histogram(
  'interlock_action_duration_seconds',
  'Duration of one enforcement call to a connector (the vendor API round trips)',
  ['connector', 'action', 'outcome'],
);
const webhookToDecision = histogram(
  'interlock_webhook_to_decision_seconds',
  "From a delivery's receipt by the API to the policy decision on an action it triggered (the incident's admission)",
  ['action'],
);
const webhookToAction = histogram(
  'interlock_webhook_to_action_seconds',
  "From a delivery's receipt by the API to the completed execution of an automatic action it triggered",
  ['connector', 'action'],
);

/** Times one enforcement call: `connector` is the manifest id, `action` the catalog action type. */
export async function timeAction<T>(connector: string, action: string, call: () => Promise<T>): Promise<T> {
  const end = actionDuration.startTimer({ connector, action });
  try {
    const result = await call();
    actions.inc({ connector, action, outcome: 'succeeded' });
    end({ outcome: 'succeeded' });
    return result;
  } catch (error) {
    actions.inc({ connector, action, outcome: 'failed' });
    end({ outcome: 'failed' });
    throw error;
  }
}

/** Webhook → decision: `receivedAt` is the delivery's receipt time carried with the alert. */
export function observeDecision(receivedAt: string | undefined, action: string): void {
  const seconds = secondsSince(receivedAt);
  if (seconds !== undefined) webhookToDecision.observe({ action }, seconds);
}

/** Webhook → action, once an automatic action has been carried out. */
export function observeExecution(receivedAt: string | undefined, connector: string, action: string): void {
  const seconds = secondsSince(receivedAt);
  if (seconds !== undefined) webhookToAction.observe({ connector, action }, seconds);
}
