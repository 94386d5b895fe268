import type { Pool } from 'pg';

/**
 * Signed Slack requests already handled (table slack_request_replays): a byte-identical replay
 * of a signed request inside Slack's replay window is refused. Rows older than twice the window
 * can no longer pass the signature's timestamp check, so they are dropped as new ones arrive.
 */
export class SlackReplayStore {
  constructor(
    private readonly pool: Pool,
    private readonly windowSeconds: number,
  ) {}

  /** Records the signature; false when it was seen before (a replay inside the window). */
  async firstDelivery(signature: string): Promise<boolean> {
    await this.pool.query(`DELETE FROM slack_request_replays WHERE seen_at < now() - make_interval(secs => $1)`, [
      this.windowSeconds * 2,
    ]);
    const { rowCount } = await this.pool.query(
      'INSERT INTO slack_request_replays (signature) VALUES ($1) ON CONFLICT (signature) DO NOTHING',
      [signature],
    );
    return rowCount === 1;
  }
}
