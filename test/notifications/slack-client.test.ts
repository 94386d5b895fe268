import { SlackClient, SlackRejected } from '../../integrations/slack';
import { startSlackStub, type SlackStub } from '../stubs/slack-stub';

let stub: SlackStub;
beforeAll(async () => {
  stub = await startSlackStub();
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.reset();
  stub.outage = undefined;
});

const client = () => new SlackClient({ botToken: stub.botToken, apiUrl: stub.apiUrl });

describe('SlackClient against the Slack Web API stub', () => {
  it('posts form-encoded with a bearer token; blocks arrive as a JSON string', async () => {
    const posted = await client().postMessage({
      channel: 'C1',
      text: 'hello',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
    });
    expect(posted.channel).toBe('C1');
    const [call] = stub.callsTo('/api/chat.postMessage');
    expect(call?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(JSON.parse((call?.body as Record<string, string>)['blocks'] ?? '')).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*hi*' } },
    ]);
    await client().update('C1', posted.ts, 'changed', []);
    expect(stub.messages.find((m) => m.ts === posted.ts)?.text).toBe('changed');
  });

  it('waits for Retry-After on 429 and delivers the message once', async () => {
    stub.rateLimit('chat.postMessage', 1, 1);
    const started = Date.now();
    await client().postMessage({ channel: 'C1', text: 'once' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(stub.callsTo('/api/chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(stub.messages.filter((m) => m.text === 'once')).toHaveLength(1);
  });

  it('refuses permanently on a bad token, and fails after its retries while Slack answers 500', async () => {
    const bad = new SlackClient({ botToken: 'xoxb-wrong', apiUrl: stub.apiUrl });
    await expect(bad.postMessage({ channel: 'C1', text: 'x' })).rejects.toBeInstanceOf(SlackRejected);
    stub.outage = 500;
    await expect(client().postMessage({ channel: 'C1', text: 'x' })).rejects.toThrow();
    expect(stub.callsTo('/api/chat.postMessage').filter((c) => c.status === 500)).toHaveLength(4);
  }, 30_000);
});
