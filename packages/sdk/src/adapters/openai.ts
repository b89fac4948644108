import type { ToolAccountRoute } from '../execute-tool.ts';
import type { CallOptions } from '../transport.ts';
import { runToolCall, type ToolCallResult, type ToolExecutor } from './run-tool-call.ts';
import { functionSpecs, type ToolSource } from './tool-source.ts';

/** A function tool of OpenAI Chat Completions (`tools` of `chat.completions.create`). */
export interface OpenAIChatTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown>; strict: false };
}

/** A function tool of the OpenAI Responses API (`tools` of `responses.create`). */
export interface OpenAIResponsesTool {
  type: 'function';
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  strict: false;
}

/**
 * A tool for the `openai` package's own tool runner (`openai.chat.completions.runTools`), which
 * calls `function` with the model's raw arguments and sends back what it returns.
 */
export interface OpenAIRunnableTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown>; function: (args: string) => Promise<string> };
}

/** A tool call in a chat completion's `message.tool_calls`. */
export interface OpenAIChatToolCall {
  id: string;
  type?: string;
  function: { name: string; arguments: string };
}

/** The `role: "tool"` message that answers one tool call. */
export interface OpenAIChatToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** A `function_call` item of a Responses API `output`. */
export interface OpenAIResponsesFunctionCall {
  type?: string;
  call_id: string;
  name: string;
  arguments: string;
}

/** The `function_call_output` input item that answers one function call. */
export interface OpenAIResponsesToolOutput {
  type: 'function_call_output';
  call_id: string;
  output: string;
}

/** Tools as Chat Completions function definitions (non-strict: tool schemas use optional members and formats). */
export function openAIChatTools(tools: readonly ToolSource[]): OpenAIChatTool[] {
  return functionSpecs(tools).map((spec) => ({ type: 'function', function: { name: spec.name, description: spec.description, parameters: spec.parameters, strict: false } }));
}

export function openAIResponsesTools(tools: readonly ToolSource[]): OpenAIResponsesTool[] {
  return functionSpecs(tools).map((spec) => ({ type: 'function', name: spec.name, description: spec.description, parameters: spec.parameters, strict: false }));
}

export function openAIChatToolMessage(call: OpenAIChatToolCall, result: ToolCallResult): OpenAIChatToolMessage {
  return { role: 'tool', tool_call_id: call.id, content: result.content };
}

export function openAIResponsesToolOutput(call: OpenAIResponsesFunctionCall, result: ToolCallResult): OpenAIResponsesToolOutput {
  return { type: 'function_call_output', call_id: call.call_id, output: result.content };
}

/**
 * Runs one Chat Completions tool call through `executeTool` and returns the `role: "tool"`
 * message to append. A refusal is answered too (with the error as content), so the model can react.
 *
 * @example
 * for (const call of completion.choices[0].message.tool_calls ?? []) messages.push(await runOpenAIChatToolCall(client.actions, { identifier: 'user_123' }, call));
 */
export async function runOpenAIChatToolCall(executor: ToolExecutor, route: ToolAccountRoute, call: OpenAIChatToolCall, options: CallOptions = {}): Promise<OpenAIChatToolMessage> {
  return openAIChatToolMessage(call, await runToolCall(executor, route, call.function.name, call.function.arguments, options));
}

/** Runs one Responses API `function_call` and returns the `function_call_output` item to send back. */
export async function runOpenAIResponsesToolCall(executor: ToolExecutor, route: ToolAccountRoute, call: OpenAIResponsesFunctionCall, options: CallOptions = {}): Promise<OpenAIResponsesToolOutput> {
  return openAIResponsesToolOutput(call, await runToolCall(executor, route, call.name, call.arguments, options));
}
