import { proxyActivities } from '@temporalio/workflow';

/** The benchmark's floor: the least a Temporal-based responder can do — one activity, one vendor call. */
const { containHost } = proxyActivities<{ containHost(agentId: string): Promise<void> }>({
  startToCloseTimeout: '30s',
});

export async function floorWorkflow(agentId: string): Promise<void> {
  await containHost(agentId);
}
