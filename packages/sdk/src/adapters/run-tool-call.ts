import { ToolExecutionError, ToolproxyApiError, ToolUnauthorizedError } from '../errors.ts';
import type { ExecuteToolOptions, ToolAccountRoute } from '../execute-tool.ts';
import type { ToolExecution } from '../tool-types.ts';
import type { CallOptions } from '../transport.ts';

/** What runs a tool: `client.actions` (or `client.tools`), or anything with the same method. */
export interface ToolExecutor {
  executeTool(options: ExecuteToolOptions): Promise<ToolExecution>;
}

/**
 * One tool call's outcome as a model should read it. A refusal (bad input, unknown tool,
 * account not connected, the upstream's 4xx/5xx) is a result too, with `isError` and the
 * server's code, message and problems in `content`, so the model can correct its call or tell
 * the user; only failures to reach the server at all are thrown.
 */
export interface ToolCallResult {
  toolName: string;
  isError: boolean;
  /** JSON text: the tool's `data` (`{ data, truncation_note }` when the server cut it), or `{ "error": { code, message, problems?, authorization_link?, upstream_status? } }`. */
  content: string;
  data?: unknown;
  executionId: string | null;
  error?: { code: string; message: string; problems?: Array<{ path: string; message: string }>; authorization_link?: string; upstream_status?: number; upstream_body?: unknown };
}

/** Parses a model's arguments (JSON text or an object) and runs the tool on `route`. */
export async function runToolCall(
  executor: ToolExecutor,
  route: ToolAccountRoute,
  toolName: string,
  args: string | Record<string, unknown> | null | undefined,
  options: CallOptions = {},
): Promise<ToolCallResult> {
  const input = parseArguments(args);
  if ('problem' in input) return failed(toolName, { code: 'TOOL_INPUT_INVALID', message: input.problem, problems: [{ path: '', message: input.problem }] }, null);
  try {
    const { data, executionId, truncationNote } = await executor.executeTool({ ...route, ...options, toolName, toolInput: input.value });
    // A cut answer says so, or the model would take the part for the whole.
    const content = truncationNote === undefined ? JSON.stringify(data ?? null) : JSON.stringify({ data: data ?? null, truncation_note: truncationNote });
    return { toolName, isError: false, content, data, executionId };
  } catch (error) {
    if (!(error instanceof ToolproxyApiError)) throw error;
    const link = error instanceof ToolUnauthorizedError ? error.authorizationLink : null;
    const upstream = error instanceof ToolExecutionError && error.upstreamStatus !== null ? { upstream_status: error.upstreamStatus, upstream_body: error.upstreamBody } : {};
    const executionId = error instanceof ToolExecutionError ? error.executionId : null;
    return failed(
      toolName,
      { code: error.code, message: error.message, ...(error.problems.length > 0 ? { problems: error.problems } : {}), ...(link ? { authorization_link: link } : {}), ...upstream },
      executionId,
    );
  }
}

function failed(toolName: string, error: NonNullable<ToolCallResult['error']>, executionId: string | null): ToolCallResult {
  return { toolName, isError: true, content: JSON.stringify({ error }), executionId, error };
}

function parseArguments(args: string | Record<string, unknown> | null | undefined): { value: Record<string, unknown> } | { problem: string } {
  if (args === null || args === undefined || (typeof args === 'string' && args.trim() === '')) return { value: {} };
  let value: unknown = args;
  if (typeof args === 'string') {
    try {
      value = JSON.parse(args);
    } catch (error) {
      return { problem: `the arguments are not valid JSON (${(error as Error).message})` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'the arguments must be a JSON object' };
  return { value: value as Record<string, unknown> };
}
