import type { ErrorCode, Problem } from '../errors.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { McpToolMapping } from './config-schema.ts';
import type { McpTokenPolicy } from './tokens.ts';

/**
 * What the MCP endpoint needs from tools (issue 12), and nothing more. The tools service and
 * executor implement it; MCP never opens an upstream connection or resolves an account itself:
 * `call` runs the tool through the one proxy pipeline, as `POST /api/v1/execute_tool` does.
 */
export interface McpToolProvider {
  /**
   * The tools `scope.identifier` may call now through `scope.mappings`. MCP passes only the
   * mappings whose account for the identifier is ACTIVE; a mapping's `tools` (when not empty)
   * lists the only tool names of that connection to return. Each tool is returned with its
   * `connectionName`. Must not throw for a connection that has gone; leave it out.
   */
  list(scope: McpScope, signal: AbortSignal): Promise<McpToolView[]>;

  /**
   * Runs tool `name` with `args` for `scope.identifier`. `scope.mappings` holds every mapping of
   * the config: a tool outside them (another connection, or not in a non-empty `tools` list) is
   * `unknown_tool`, and nothing runs. `args` has not been validated: the provider validates it
   * against the tool's input schema (`invalid_input`, nothing sent upstream). `signal` aborts
   * when the MCP client goes away. Errors the caller should see are outcomes, not throws; a throw
   * is an internal error (logged, a generic JSON-RPC error to the client).
   */
  call(scope: McpScope, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome>;
}

/** Whose accounts, through which config's mappings, and who is asking. */
export interface McpScope {
  configId: string;
  /** The app's user id the token is bound to. A provider must never reach another identifier's accounts. */
  identifier: string;
  mappings: readonly McpToolMapping[];
  /** For the request log and audit (PLAN.md actor): an MCP client, by token kind and OAuth client id. */
  actor: { type: 'mcp_client'; id: string };
  /** A token's narrowing (reserved; null today). A provider applies it on top of the mappings. */
  policy: McpTokenPolicy | null;
}

/** A tool as an MCP client sees it. Schemas are JSON Schema objects (MCP wants `type: "object"`). */
export interface McpToolView {
  name: string;
  title?: string;
  /** Written for a model to read. */
  description: string;
  inputSchema: JsonSchemaObject;
  /** When present, successful results carry `structuredContent` that matches it. */
  outputSchema?: JsonSchemaObject;
  /** The mapped connection the tool runs on. */
  connectionName: string;
  annotations?: { title?: string; readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
}

export type JsonSchemaObject = { type: 'object'; properties?: Record<string, object>; required?: string[]; [key: string]: unknown };

/**
 * How a tool call ended, for MCP to map onto a `tools/call` result (src/mcp/tool-results.ts).
 * Everything a model should be able to read and react to is a result (`isError` for failures),
 * per MCP: only an unknown tool is a protocol error.
 */
export type ToolOutcome =
  /** The upstream answered 2xx. `structured`: the tool has an output schema and `data` matches it. `note`: what was cut, when truncated. */
  | { kind: 'ok'; data: unknown; executionId: string; structured: boolean; truncated?: boolean; note?: string }
  /** The upstream answered with an error status (4xx other than a lost authorization, 5xx). */
  | { kind: 'upstream_error'; status: number; data: unknown; executionId: string; retryAfterSeconds?: number }
  /** The identifier's account on this connection is not ACTIVE (or the upstream said its authorization is gone): MCP adds a fresh link. */
  | { kind: 'not_authorized'; connectionName: string; accountStatus: AccountStatus | null }
  /** `args` does not match the input schema; every problem, JSON-pointer paths. Nothing was sent. */
  | { kind: 'invalid_input'; problems: Problem[] }
  /** Refused before or instead of the upstream call: a policy, a limit, the egress policy, a timeout… */
  | { kind: 'refused'; code: ErrorCode; message: string; details?: unknown; executionId?: string }
  /** No tool by this name in the scope. */
  | { kind: 'unknown_tool' };

/** Until tools are wired in (issue 12), an MCP server serves only its `authorize_<connection>` tools. */
export const NO_TOOLS: McpToolProvider = {
  list: async () => [],
  call: async () => ({ kind: 'unknown_tool' }),
};
