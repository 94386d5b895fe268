/**
 * The vendor reads the action ledger relies on after an interrupted attempt (is the change
 * already in place?), and abandoning a call at its deadline. Every client talks to a stub that
 * speaks the vendor's documented API.
 */
import { CrowdStrikeClient, IntegrationError, JiraClient, OktaClient } from '../../integrations';
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  CROWDSTRIKE_DEVICE_DETAILS_PATH,
  startCrowdStrikeStub,
  type CrowdStrikeStub,
} from '../../integrations/crowdstrike/crowdstrike.stub';
import { JIRA_SEARCH_JQL_PATH, JIRA_SEARCH_PATH, startJiraStub } from '../../integrations/jira/jira.stub';
import { oktaUserId, startOktaStub } from '../../integrations/okta/okta.stub';

const DEVICE = '0123456789abcdef0123456789abcdef';
const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 2_000 };

async function caught(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IntegrationError)) throw new Error(`expected an IntegrationError, got ${String(error)}`);
  return error;
}

describe('CrowdStrike: device containment state', () => {
  let stub: CrowdStrikeStub;
  let client: CrowdStrikeClient;
  beforeEach(async () => {
    stub = await startCrowdStrikeStub();
    client = new CrowdStrikeClient(
      { baseUrl: stub.url, timeout: 5_000, clientId: stub.clientId, clientSecret: stub.clientSecret },
      { retry: FAST_RETRY },
    );
  });
  afterEach(async () => {
    await stub.close();
  });

  it('reads the device status with GetDeviceDetailsV2: normal, then contained, then normal again', async () => {
    expect(await client.containmentState(DEVICE)).toEqual({ deviceId: DEVICE, status: 'normal' });
    await client.containHost(DEVICE);
    expect(await client.containmentState(DEVICE)).toEqual({ deviceId: DEVICE, status: 'contained' });
    await client.liftContainment(DEVICE);
    expect(await client.containmentState(DEVICE)).toEqual({ deviceId: DEVICE, status: 'normal' });
    const reads = stub.callsTo(CROWDSTRIKE_DEVICE_DETAILS_PATH);
    expect(reads.map((c) => [c.method, c.query['ids'], c.status])).toEqual([
      ['GET', DEVICE, 200],
      ['GET', DEVICE, 200],
      ['GET', DEVICE, 200],
    ]);
  });

  it('treats a device Falcon does not return as a permanent failure, and a malformed ID as invalid input', async () => {
    stub.failNext(200, 1, {}, { path: CROWDSTRIKE_DEVICE_DETAILS_PATH, body: { meta: {}, resources: [], errors: [] } });
    expect(await caught(client.containmentState(DEVICE))).toMatchObject({ kind: 'vendor-error', retryable: false });
    expect(await caught(client.containmentState('host-01'))).toMatchObject({ kind: 'invalid-input' });
  });

  it('abandons a call at its deadline without retrying it — while the vendor may still act', async () => {
    await client.containmentState(DEVICE); // the token is fetched up front: only the action is timed
    stub.delayNext(3_000, { path: CROWDSTRIKE_DEVICE_ACTIONS_PATH });
    const started = Date.now();
    const error = await caught(client.containHost(DEVICE, { signal: AbortSignal.timeout(200) }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(error.message).toMatch(/abandoned/);
    expect(stub.callsTo(CROWDSTRIKE_DEVICE_ACTIONS_PATH)).toHaveLength(1);
    // The slow vendor did act: only a read tells.
    expect(await client.containmentState(DEVICE)).toMatchObject({ status: 'contained' });
  });
});

describe('Okta: user status', () => {
  it('reads ACTIVE, then SUSPENDED once suspended; an unknown user is a 404', async () => {
    const stub = await startOktaStub({ users: ['jdoe'] });
    try {
      const client = new OktaClient({ baseUrl: stub.url, timeout: 5_000, apiToken: 'okta-test-api-token' });
      expect(await client.accountState('jdoe')).toEqual({ account: 'jdoe', id: oktaUserId('jdoe'), status: 'ACTIVE' });
      await client.disableAccount('jdoe');
      expect(await client.accountState('jdoe')).toEqual({
        account: 'jdoe',
        id: oktaUserId('jdoe'),
        status: 'SUSPENDED',
      });
      // Okta refuses to suspend a suspended user: repeating the call is not a safe retry.
      expect(await caught(client.disableAccount('jdoe'))).toMatchObject({ status: 400, retryable: false });
      expect(await caught(client.accountState('nobody'))).toMatchObject({ status: 404 });
    } finally {
      await stub.close();
    }
  });
});

describe.each(['cloud', 'datacenter'] as const)('Jira (%s): the task carrying a label', (deployment) => {
  it('finds nothing, then the created issue, then sees it done', async () => {
    const stub = await startJiraStub({ deployment });
    try {
      const client = new JiraClient({
        baseUrl: stub.url,
        timeout: 5_000,
        email: 'interlock@example.net',
        apiToken: 'jira-test-api-token',
        projectKey: 'SEC',
        issueType: 'Task',
        doneTransitionId: '31',
      });
      const label = 'interlock-0123456789abcdef0123456789abcdef';
      expect(await client.findTaskByLabel(label)).toBeUndefined();
      const created = await client.createTask({ summary: 'Compare logic', description: 'd', labels: [label] });
      expect(await client.findTaskByLabel(label)).toEqual({ key: created.key, id: created.id, closed: false });
      await client.closeTask(created.key, 'done');
      expect(await client.findTaskByLabel(label)).toEqual({ key: created.key, id: created.id, closed: true });
      const searches = stub.calls.filter((c) => c.path.startsWith(JIRA_SEARCH_PATH));
      expect(
        searches.every((c) => c.query['jql'] === `project = "SEC" AND labels = "${label}" ORDER BY created ASC`),
      ).toBe(true);
      // Cloud answers the new search; Data Center only the old one (after a 404 from the new).
      expect(searches.filter((c) => c.status === 200).map((c) => c.path)).toEqual(
        Array(3).fill(deployment === 'cloud' ? JIRA_SEARCH_JQL_PATH : JIRA_SEARCH_PATH),
      );
      expect(await caught(client.findTaskByLabel('not a label'))).toMatchObject({ kind: 'invalid-input' });
    } finally {
      await stub.close();
    }
  });
});
