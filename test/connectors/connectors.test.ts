/** The conformance suite (conformance.ts) for the connectors whose stubs live in test/stubs/. */
import {
  CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  CROWDSTRIKE_DEVICE_DETAILS_PATH,
  FORTIGATE_ADD_USERS_PATH,
  FORTIGATE_BANNED_PATH,
  startCrowdStrikeStub,
  startFortiGateStub,
} from '../stubs';
import { JIRA_ISSUE_PATH, JIRA_SEARCH_JQL_PATH, startJiraStub } from '../../integrations/jira/jira.stub';
import { OKTA_USERS_PATH, startOktaStub } from '../../integrations/okta/okta.stub';
import { describeConformance } from './conformance';

describeConformance({
  connector: 'crowdstrike',
  oauth2: true,
  async start() {
    const stub = await startCrowdStrikeStub();
    return {
      stub,
      config: { baseUrl: stub.url, clientId: stub.clientId, clientSecret: stub.clientSecret },
      secrets: [stub.clientSecret],
      revokeTokens: () => stub.revokeTokens(),
      tokensIssued: () => stub.tokensIssued(),
    };
  },
  // fin-lt-042 carries its Falcon agent ID in the example inventory.
  action: { type: 'edr.contain_host', target: 'fin-lt-042', params: {} },
  changePath: CROWDSTRIKE_DEVICE_ACTIONS_PATH,
  validatedRead: { path: CROWDSTRIKE_DEVICE_DETAILS_PATH, via: 'observe', malformed: { resources: 'nope' } },
});

describeConformance({
  connector: 'fortigate',
  async start() {
    const stub = await startFortiGateStub();
    return { stub, config: { baseUrl: stub.url, apiKey: stub.apiKey }, secrets: [stub.apiKey] };
  },
  action: { type: 'firewall.quarantine_ip', target: '10.30.9.9', params: {} },
  changePath: FORTIGATE_ADD_USERS_PATH,
  validatedRead: { path: FORTIGATE_BANNED_PATH, via: 'observe', malformed: { results: 'nope' } },
});

describeConformance({
  connector: 'okta',
  async start() {
    const apiToken = 'okta-conformance-token-0123456789';
    const stub = await startOktaStub({ apiToken });
    return { stub, config: { baseUrl: stub.url, apiToken }, secrets: [apiToken] };
  },
  action: { type: 'identity.disable_account', target: 'jdoe', params: { host: 'fin-lt-042' } },
  changePath: `${OKTA_USERS_PATH}/jdoe/lifecycle`,
  validatedRead: { path: `${OKTA_USERS_PATH}/jdoe`, via: 'observe', malformed: { status: 7 } },
});

describeConformance({
  connector: 'jira',
  async start() {
    const apiToken = 'jira-conformance-token-0123456789';
    const stub = await startJiraStub({ apiToken });
    return {
      stub,
      config: { baseUrl: stub.url, email: 'interlock@example.net', apiToken, projectKey: 'SEC' },
      secrets: [apiToken],
    };
  },
  action: { type: 'task.create', target: 'fin-lt-042', params: { summary: 'Check fin-lt-042' } },
  changePath: JIRA_ISSUE_PATH,
  validatedRead: { path: JIRA_SEARCH_JQL_PATH, via: 'observe', malformed: { issues: 'nope' } },
});
