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
