import type { Pool } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction';
import type { ApprovalVote } from '../approvals/messages';

/** The Slack message of one approval request, and what it shows so far. */
export interface ApprovalMessage {
  approvalId: string;
  channel: string;
  ts: string;
  expiresAt: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  votes: ApprovalVote[];
}

const voteSchema = z.object({
  operatorId: z.string(),
  roles: z.array(z.string()),
  decision: z.enum(['approve', 'reject']),
  reason: z.string().optional(),
  channel: z.enum(['api', 'slack', 'cli', 'console']),
  at: z.string(),
});

interface MessageRow {
  approval_id: string;
  channel: string;
  ts: string;
  expires_at: Date;
  status: ApprovalMessage['status'];
  votes: unknown;
}

function toMessage(row: MessageRow): ApprovalMessage {
  return {
    approvalId: row.approval_id,
    channel: row.channel,
    ts: row.ts,
    expiresAt: row.expires_at.toISOString(),
    status: row.status,
    votes: z.array(voteSchema).parse(row.votes),
  };
}

/**
 * What was already delivered, in PostgreSQL: a retried notify activity finds its earlier
 * delivery here instead of posting or mailing a second time.
 */
export class DeliveryStore {
  constructor(private readonly pool: Pool) {}

  async findApprovalMessage(approvalId: string): Promise<ApprovalMessage | undefined> {
    const { rows } = await this.pool.query<MessageRow>(
      'SELECT approval_id, channel, ts, expires_at, status, votes FROM slack_approval_messages WHERE approval_id = $1',
      [approvalId],
    );
    return rows[0] === undefined ? undefined : toMessage(rows[0]);
  }

  async saveApprovalMessage(message: Omit<ApprovalMessage, 'status' | 'votes'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO slack_approval_messages (approval_id, channel, ts, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (approval_id) DO NOTHING`,
      [message.approvalId, message.channel, message.ts, message.expiresAt],
    );
  }

  /**
   * Merges new votes (and the final status) into the stored message under a row lock, then
   * runs `render` while still holding it: concurrent updates of one message are applied in
   * order, so the last chat.update always shows everything known.
   */
  async updateApprovalMessage<T>(
    approvalId: string,
    change: { votes: ApprovalVote[]; status?: ApprovalMessage['status'] },
    render: (message: ApprovalMessage) => Promise<T>,
  ): Promise<T | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<MessageRow>(
        'SELECT approval_id, channel, ts, expires_at, status, votes FROM slack_approval_messages WHERE approval_id = $1 FOR UPDATE',
        [approvalId],
      );
      if (rows[0] === undefined) return undefined;
      const current = toMessage(rows[0]);
      const votes = [...current.votes];
      for (const vote of change.votes) {
        if (!votes.some((v) => v.operatorId === vote.operatorId && v.at === vote.at)) votes.push(vote);
      }
      votes.sort((a, b) => a.at.localeCompare(b.at));
      const status = current.status !== 'pending' ? current.status : (change.status ?? 'pending');
      await client.query('UPDATE slack_approval_messages SET votes = $2, status = $3 WHERE approval_id = $1', [
        approvalId,
        JSON.stringify(votes),
        status,
      ]);
      return render({ ...current, votes, status });
    });
  }

  async wasDelivered(key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM notification_deliveries WHERE delivery_key = $1', [key]);
    return (rowCount ?? 0) > 0;
  }

  async markDelivered(key: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO notification_deliveries (delivery_key) VALUES ($1) ON CONFLICT (delivery_key) DO NOTHING',
      [key],
    );
  }

  /** Runs `deliver` unless `key` was delivered before; records it afterwards. */
  async once(key: string, deliver: () => Promise<void>): Promise<void> {
    if (await this.wasDelivered(key)) return;
    await deliver();
    await this.markDelivered(key);
  }

  /**
   * As `once`, for alarms that must go out when PostgreSQL itself is down: if the store cannot
   * be read the message is delivered anyway (twice is better than never), and failing to
   * record the delivery is not an error.
   */
  async onceBestEffort(key: string, deliver: () => Promise<void>): Promise<void> {
    const delivered = await this.wasDelivered(key).catch(() => false);
    if (delivered) return;
    await deliver();
    await this.markDelivered(key).catch(() => undefined);
  }
}
