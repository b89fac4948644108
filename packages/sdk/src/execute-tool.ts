import { type AccountScope, checkedIdentifier, scopeBody } from './account-args.ts';
import { runCall } from './call.ts';
import { ToolproxyError, toolErrorFrom } from './errors.ts';
import type { ToolExecution } from './tool-types.ts';
import type { CallOptions, SendInit, Transport } from './transport.ts';

/** Which account runs the tool: its id, or the identifier with the connection name. */
export interface ToolAccountRoute extends AccountScope {
  connectedAccountId?: string;
  identifier?: string;
  connectionName?: string;
  /** The reference SDK's name for `connectionName`. */
  connector?: string;
}

export interface ExecuteToolOptions extends ToolAccountRoute, CallOptions {
  /** The tool's name, e.g. `github_issue_create`. */
  toolName: string;
  /** The tool's input: an object matching its `input_schema`. */
  toolInput?: Record<string, unknown>;
}

/** Tool runs wait on an upstream API: 60 s by default, as the reference's `toolTimeoutMs`. */
export const TOOL_TIMEOUT_MS = 60_000;

/** The body of `POST /api/v1/execute_tool`, checked before anything is sent. */
export function executeToolBody(options: ExecuteToolOptions): Record<string, unknown> {
  const toolName = typeof options.toolName === 'string' ? options.toolName.trim() : '';
  if (!toolName) throw new TypeError('executeTool: toolName is required');
  const input = options.toolInput ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError('executeTool: toolInput must be an object');
  const accountId = typeof options.connectedAccountId === 'string' ? options.connectedAccountId.trim() : '';
  const hasIdentifier = options.identifier !== undefined && options.identifier !== '';
  const connectionName = options.connectionName?.trim();
  const connector = options.connector?.trim();
  if (!accountId && (!hasIdentifier || (!connectionName && !connector))) {
    throw new TypeError('executeTool: connectedAccountId, or identifier with connectionName (or connector), is required');
  }
  return {
    tool_name: toolName,
    params: input,
    ...(accountId ? { connected_account_id: accountId } : {}),
    ...(hasIdentifier ? { identifier: checkedIdentifier(options.identifier, 'executeTool') } : {}),
    ...(connectionName ? { connection_name: connectionName } : {}),
    ...(connector ? { connector } : {}),
    ...scopeBody(options),
  };
}

/** Runs a tool on the server (`POST /api/v1/execute_tool`); failures throw a `ToolExecutionError` (or a subclass). */
export async function executeTool<T = unknown>(transport: Transport, options: ExecuteToolOptions): Promise<ToolExecution<T>> {
  const body = executeToolBody(options);
  const context = transport.context({ ...options, timeoutMs: options.timeoutMs ?? TOOL_TIMEOUT_MS });
  return runCall(context, async (signal) => {
    const init: SendInit = { method: 'POST', headers: new Headers({ accept: 'application/json', 'content-type': 'application/json' }), body: JSON.stringify(body), replayable: true };
    const response = await transport.send('/api/v1/execute_tool', init, context, signal);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw toolErrorFrom(response.status, parsed, response.headers, body.tool_name as string);
    const result = parsed as { data?: unknown; execution_id?: unknown; truncated?: unknown; truncation_note?: unknown } | undefined;
    if (!result || typeof result.execution_id !== 'string' || !('data' in result)) {
      throw new ToolproxyError('UNEXPECTED_RESPONSE', 'execute_tool answered without data and execution_id (is the URL right?).');
    }
    return {
      data: result.data as T,
      executionId: result.execution_id,
      ...(result.truncated === true ? { truncated: true as const, truncationNote: typeof result.truncation_note === 'string' ? result.truncation_note : 'toolproxy cut this answer.' } : {}),
    };
  });
}
