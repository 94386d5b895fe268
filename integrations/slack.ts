import { ErrorCode, LogLevel, WebClient, type Block, type KnownBlock } from '@slack/web-api';

/**
 * The Slack Web API as Interlock uses it: post, update and ephemeral messages. Only the base
 * URL tells Slack from a test stub.
 */
export interface SlackSettings {
  botToken: string;
  apiUrl: string;
  /** Per-call HTTP timeout in milliseconds. */
  timeoutMs?: number;
}

export type SlackBlocks = (KnownBlock | Block)[];

export interface SlackMessage {
  channel: string;
  text: string;
  blocks?: SlackBlocks;
  threadTs?: string;
}

/** A Slack refusal that retrying cannot fix (bad token, unknown channel…). */
export class SlackRejected extends Error {
  override readonly name = 'SlackRejected';
  constructor(readonly slackError: string) {
    super(`Slack refused the call: ${slackError}`);
  }
}

/** Errors Slack returns for a call that would fail the same way every time. */
const PERMANENT_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'msg_too_long',
  'message_not_found',
  'cant_update_message',
  'user_not_in_channel',
]);

export class SlackClient {
  private readonly web: WebClient;

  constructor(settings: SlackSettings) {
    this.web = new WebClient(settings.botToken, {
      slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/`,
      // Inner retries: a 429 waits its Retry-After, a 5xx or network error backs off briefly.
      // The notify activity retries again on top, so keep the total within its 30 s timeout.
      retryConfig: { retries: 3, factor: 2, minTimeout: 250, maxTimeout: 4_000, maxRetryTime: 20_000 },
      rejectRateLimitedCalls: false,
      timeout: settings.timeoutMs ?? 8_000,
      // Method names only: never follow an absolute URL given as a method.
      allowAbsoluteUrls: false,
      logLevel: LogLevel.ERROR,
    });
  }

  async postMessage(message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const result = await this.call(() =>
      this.web.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
        ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
        unfurl_links: false,
      }),
    );
    if (result.ts === undefined || result.channel === undefined) throw new Error('chat.postMessage returned no ts');
    return { channel: result.channel, ts: result.ts };
  }

  async update(channel: string, ts: string, text: string, blocks: SlackBlocks): Promise<void> {
    await this.call(() => this.web.chat.update({ channel, ts, text, blocks }));
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    await this.call(() => this.web.chat.postEphemeral({ channel, user, text }));
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const platform = error as { code?: string; data?: { error?: string } };
      if (platform.code === ErrorCode.PlatformError) {
        const slackError = platform.data?.error ?? 'unknown_error';
        if (PERMANENT_ERRORS.has(slackError)) throw new SlackRejected(slackError);
        throw new Error(`Slack answered ok:false (${slackError})`, { cause: error });
      }
      throw error;
    }
  }
}
