/**
 * The CLI's HTTP client for a running API: where it is (`--url`, INTERLOCK_URL, else the
 * configuration's server.port on loopback), the operator API key (INTERLOCK_API_KEY or
 * `--api-key-file`; never a flag, so it stays out of shell history and `ps`), and answers
 * validated with zod. API errors become CliErrors with the documented exit codes.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CliError, EXIT } from './cli-error';

export interface RemoteOptions {
  url?: string;
  apiKeyFile?: string;
}

const DEFAULT_PORT = 3000;
const TIMEOUT_MS = 30_000;

const apiErrorSchema = z.object({
  error: z.object({
    status: z.number().optional(),
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.union([z.string(), z.number()]), message: z.string() })).optional(),
  }),
});

async function baseUrl(options: RemoteOptions): Promise<string> {
  const given = options.url ?? (process.env['INTERLOCK_URL'] || undefined);
  let url: string;
  if (given !== undefined) url = given;
  else {
    // The API on this machine: the port of the configuration it runs with, if we have it.
    const configPath = process.env['INTERLOCK_CONFIG'] || undefined;
    let port = DEFAULT_PORT;
    if (configPath !== undefined) {
      try {
        // Loaded only here: the configuration schema pulls in every connector.
        const { loadConfig } = await import('../config/load.js');
        port = loadConfig(configPath).server.port;
      } catch (error) {
        throw new CliError(
          EXIT.usage,
          `cannot read server.port from INTERLOCK_CONFIG (${configPath}): ${firstLine(error)}; give --url or INTERLOCK_URL`,
        );
      }
    }
    url = `http://127.0.0.1:${port}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(EXIT.usage, `not a URL: ${JSON.stringify(url)} (--url or INTERLOCK_URL)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(EXIT.usage, `the API URL must be http: or https:, not ${parsed.protocol}`);
  return parsed.href.replace(/\/+$/, '');
}

function apiKey(options: RemoteOptions): string {
  let key: string;
  let from: string;
  if (options.apiKeyFile !== undefined) {
    from = `--api-key-file ${options.apiKeyFile}`;
    try {
      key = readFileSync(options.apiKeyFile, 'utf8').trim();
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot read the API key file: ${firstLine(error)}`);
    }
  } else {
    from = 'INTERLOCK_API_KEY';
    key = process.env['INTERLOCK_API_KEY']?.trim() ?? '';
    if (key === '')
      throw new CliError(EXIT.unavailable, 'no API key: set INTERLOCK_API_KEY or give --api-key-file <file>');
  }
  if (key === '') throw new CliError(EXIT.unavailable, `the API key from ${from} is empty`);
  // A header must be printable ASCII; checked here so no library error ever echoes the key.
  if (!/^[\x21-\x7e]+$/.test(key))
    throw new CliError(EXIT.usage, `the API key from ${from} contains spaces or non-ASCII characters`);
  return key;
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0] ?? message;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000}s`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? firstLine(error);
}

/** A refusal of the API as one line: status, code, message and the field paths it names. */
function refusal(status: number, body: string): string {
  let parsed: z.infer<typeof apiErrorSchema> | undefined;
  try {
    const result = apiErrorSchema.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) return `${status}: ${body.slice(0, 200).replace(/\s+/g, ' ').trim() || '(empty answer)'}`;
  const { code, message, issues } = parsed.error;
  const paths = issues?.length ? ` (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : '';
  return `${status} ${code}: ${message}${paths}`;
}

function exitCodeFor(status: number) {
  if (status === 400) return EXIT.usage;
  if (status === 401 || status >= 500) return EXIT.unavailable;
  return EXIT.failed;
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly key: string,
  ) {}

  static async from(options: RemoteOptions): Promise<ApiClient> {
    return new ApiClient(await baseUrl(options), apiKey(options));
  }

  /** The answer's body as text, after a 2xx; anything else throws a CliError. */
  async text(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          accept: 'application/json, text/csv',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw new CliError(EXIT.unavailable, `cannot reach the API at ${this.url}: ${describeNetworkError(error)}`);
    }
    const text = await response.text();
    if (response.status === 401)
      throw new CliError(EXIT.unavailable, `the API refused the API key: ${refusal(response.status, text)}`);
    if (!response.ok)
      throw new CliError(exitCodeFor(response.status), `${method} ${path}: ${refusal(response.status, text)}`);
    return text;
  }

  /** The answer as JSON, checked against `schema` (an API of another version shows up here). */
  async json<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<z.output<S>> {
    return (await this.document(method, path, schema, body, headers)).value;
  }

  /** The answer's text as sent (e.g. to save an export byte for byte) and its checked JSON. */
  async document<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ text: string; value: z.output<S> }> {
    const text = await this.text(method, path, body, headers);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError(EXIT.unavailable, `${method} ${path}: the answer is not JSON`);
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new CliError(
        EXIT.unavailable,
        `${method} ${path}: unexpected answer (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}); is the API another version?`,
      );
    }
    return { text, value: result.data };
  }
}
