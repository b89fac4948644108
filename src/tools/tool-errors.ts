import { type ErrorCode, ToolproxyError } from '../errors.ts';
import { AUTHORIZATION_LINK_HINT, type ToolResult } from './tool-executor.ts';

/**
 * An upstream error answer to a tool call as our error (REST and gRPC): the upstream's status
 * keeps its meaning (401: authorize again; 403: permission; 429: wait Retry-After; 5xx: its
 * failure; any other 4xx: the call was refused), and details carry the upstream's answer and
 * the execution id, so the caller (or its model) can act on it.
 */
export class ToolUpstreamError extends ToolproxyError {
  constructor(
    code: ErrorCode,
    readonly upstreamStatus: number,
    readonly executionId: string,
    readonly retryAfterSeconds: number | undefined,
    details: Record<string, unknown>,
  ) {
    super(code, { details });
  }
}

export function upstreamError(result: ToolResult): ToolUpstreamError {
  const { status, executionId } = result;
  const code: ErrorCode = status === 401
    ? 'TOOL_UNAUTHORIZED'
    : status === 403
      ? 'TOOL_FORBIDDEN'
      : status === 429
        ? 'TOOL_RATE_LIMITED'
        : status >= 500
          ? 'TOOL_UPSTREAM_FAILED'
          : 'TOOL_UPSTREAM_REJECTED';
  const details: Record<string, unknown> = {
    tool_name: result.tool.name,
    execution_id: executionId,
    status,
    body: result.data,
    ...(result.truncated ? { truncated: true, note: result.note } : {}),
    ...(result.retryAfterSeconds === undefined ? {} : { retry_after_seconds: result.retryAfterSeconds }),
    ...(status === 401 ? { authorization_link: AUTHORIZATION_LINK_HINT } : {}),
  };
  return new ToolUpstreamError(code, status, executionId, result.retryAfterSeconds, details);
}
