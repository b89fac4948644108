import type { ToolAccountRoute } from '../execute-tool.ts';
import type { CallOptions } from '../transport.ts';
import { runToolCall, type ToolCallResult, type ToolExecutor } from './run-tool-call.ts';
import { functionSpecs, type ToolSource } from './tool-source.ts';

/** A client tool of the Anthropic Messages API (`tools` of `messages.create`). */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: { type: 'object'; properties: Record<string, unknown>; [key: string]: unknown };
}

/** A `tool_use` block of an assistant message's `content`. */
export interface AnthropicToolUse {
  type?: string;
  id: string;
  name: string;
  input: unknown;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

/** The user message that answers an assistant message's tool uses. */
export interface AnthropicToolResultMessage {
  role: 'user';
  content: AnthropicToolResultBlock[];
}

export function anthropicTools(tools: readonly ToolSource[]): AnthropicTool[] {
  return functionSpecs(tools).map((spec) => ({ name: spec.name, description: spec.description, input_schema: spec.parameters }));
}

export function anthropicToolResult(use: AnthropicToolUse, result: ToolCallResult): AnthropicToolResultBlock {
  return { type: 'tool_result', tool_use_id: use.id, content: result.content, ...(result.isError ? { is_error: true } : {}) };
}

/** Runs one `tool_use` block through `executeTool` and returns its `tool_result` block. */
export async function runAnthropicToolUse(executor: ToolExecutor, route: ToolAccountRoute, use: AnthropicToolUse, options: CallOptions = {}): Promise<AnthropicToolResultBlock> {
  const input = use.input && typeof use.input === 'object' && !Array.isArray(use.input) ? (use.input as Record<string, unknown>) : undefined;
  const result = input || use.input === undefined || use.input === null
    ? await runToolCall(executor, route, use.name, input, options)
    : await runToolCall(executor, route, use.name, JSON.stringify(use.input), options);
  return anthropicToolResult(use, result);
}

/**
 * Runs every `tool_use` block of an assistant message (concurrently) and returns the one user
 * message that answers them all, results in the same order, as the Messages API requires.
 *
 * @example
 * const message = await anthropic.messages.create({ model, max_tokens, messages, tools: anthropicTools(tools) });
 * if (message.stop_reason === 'tool_use') messages.push({ role: 'assistant', content: message.content }, await runAnthropicToolUses(client.actions, { identifier: 'user_123' }, message));
 */
export async function runAnthropicToolUses(
  executor: ToolExecutor,
  route: ToolAccountRoute,
  message: { content: ReadonlyArray<{ type: string }> },
  options: CallOptions = {},
): Promise<AnthropicToolResultMessage> {
  const uses = message.content.filter((block): block is AnthropicToolUse & { type: 'tool_use' } => block.type === 'tool_use');
  return { role: 'user', content: await Promise.all(uses.map((use) => runAnthropicToolUse(executor, route, use, options))) };
}
