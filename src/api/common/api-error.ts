import { HttpException } from '@nestjs/common';

export interface ApiIssue {
  path: string;
  message: string;
}

/**
 * Every error the API returns has this JSON shape:
 * `{ "error": { "status": 400, "code": "invalid_body", "message": "…", "issues": [{ "path", "message" }] } }`.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly issues?: ApiIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super({ error: { status, code, message, ...(issues === undefined ? {} : { issues }) } }, status);
  }
}

export function issuesFromZod(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): ApiIssue[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(root)',
    message: issue.message,
  }));
}
