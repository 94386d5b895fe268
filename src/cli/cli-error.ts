/**
 * Exit codes of the `interlock` command (docs/cli.md) and the error that carries one. Scripts
 * branch on these, so they never change meaning.
 */
export const EXIT = {
  /** Done: the check passed, the chain verifies, the decision was accepted. */
  ok: 0,
  /** The answer is no: a check failed, the chain is broken, the API refused the request. */
  failed: 1,
  /** Usage or input error: unknown command or option, unreadable or malformed file, a 400. */
  usage: 2,
  /** The API cannot be used: unreachable, API key missing or refused (401), 5xx, an unexpected answer. */
  unavailable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok: done, check passed, chain verified, decision accepted
  1  failed: check failed, chain broken, playbook/config invalid, request refused by the API (403/404/409/410/422)
  2  usage: unknown command or option, missing argument, unreadable or malformed input, 400 from the API
  3  unavailable: API unreachable, API key missing or refused (401), 5xx, unexpected answer`;

/** An error the CLI reports as one line on stderr, exiting with `code`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}
