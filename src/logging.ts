import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Anything that looks like a credential is redacted by path, so a
 * careless `log.info({ config })` cannot leak a secret.
 */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        '*.token',
        '*.apiKey',
        '*.hmacSecret',
        '*.password',
        '*.clientSecret',
        '*.botToken',
        '*.signingSecret',
        '*.authorization',
        '*.Authorization',
        'headers.authorization',
        'req.headers.authorization',
        '*.*.token',
        '*.*.apiKey',
        '*.*.hmacSecret',
        '*.*.password',
        '*.*.clientSecret',
      ],
      censor: '[redacted]',
    },
  });
}

/**
 * At most one warning per key per interval, for events an outsider can trigger at will (e.g.
 * unsigned Slack requests): the first is logged at once, the rest are counted and summed up in
 * one line at the end of the interval. Keys must come from a small fixed set.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { suppressed: number; fields: Record<string, unknown> }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const window = this.windows.get(key);
    if (window !== undefined) {
      window.suppressed += 1;
      window.fields = fields;
      return;
    }
    this.log.warn(fields, message);
    this.open(key, fields, message);
  }

  private open(key: string, fields: Record<string, unknown>, message: string): void {
    this.windows.set(key, { suppressed: 0, fields });
    setTimeout(() => {
      const window = this.windows.get(key);
      this.windows.delete(key);
      if (window === undefined || window.suppressed === 0) return;
      // The summary opens the next interval, so there is still at most one line per interval.
      this.log.warn(
        { ...window.fields, suppressed: window.suppressed, intervalMs: this.intervalMs },
        `${message} (${window.suppressed} more in the last ${Math.round(this.intervalMs / 1000)} s)`,
      );
      this.open(key, window.fields, message);
    }, this.intervalMs).unref();
  }
}
