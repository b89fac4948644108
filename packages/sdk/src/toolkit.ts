import { anthropicToolResult, anthropicTools, type AnthropicTool, type AnthropicToolResultMessage, type AnthropicToolUse } from './adapters/anthropic.ts';
import {
  openAIChatToolMessage,
  openAIChatTools,
  openAIResponsesToolOutput,
  openAIResponsesTools,
  type OpenAIChatTool,
  type OpenAIChatToolCall,
  type OpenAIChatToolMessage,
  type OpenAIResponsesFunctionCall,
  type OpenAIRunnableTool,
  type OpenAIResponsesTool,
  type OpenAIResponsesToolOutput,
} from './adapters/openai.ts';
import { runToolCall, type ToolCallResult, type ToolExecutor } from './adapters/run-tool-call.ts';
import { type FunctionSpec, functionSpecs, type ToolSource } from './adapters/tool-source.ts';
import { type VercelAISchema, type VercelAITool, vercelAITools, type VercelAIToolsOptions } from './adapters/vercel-ai.ts';
import type { ToolAccountRoute } from './execute-tool.ts';
import type { CallOptions } from './transport.ts';

/**
 * A user's tools, for one model conversation: rendered for each provider, and each model tool
 * call answered in that provider's shape after running it through `executeTool` on the account
 * the tool was listed with. Made by `client.tools.toolkit(identifier)`, or from any tools.
 */
export class Toolkit {
  readonly #executor: ToolExecutor;
  readonly #tools: readonly ToolSource[];
  readonly #route: ToolAccountRoute;
  readonly #specs: Map<string, FunctionSpec>;

  constructor(executor: ToolExecutor, tools: readonly ToolSource[], route: ToolAccountRoute = {}) {
    this.#executor = executor;
    this.#tools = tools;
    this.#route = route;
    this.#specs = new Map(functionSpecs(tools, route).map((spec) => [spec.name, spec]));
  }

  /** The tool names, once each. */
  get names(): string[] {
    return [...this.#specs.keys()];
  }

  openAIChatTools(): OpenAIChatTool[] {
    return openAIChatTools(this.#tools);
  }

  openAIResponsesTools(): OpenAIResponsesTool[] {
    return openAIResponsesTools(this.#tools);
  }

  /**
   * Tools for the `openai` package's runner, which loops until the model stops calling them:
   * `openai.chat.completions.runTools({ model, messages, tools: toolkit.openAIRunnableTools() })`.
   * Each call's result (or refusal) is the same content `openAIChatToolMessages` sends.
   */
  openAIRunnableTools(): OpenAIRunnableTool[] {
    return [...this.#specs.values()].map((spec) => ({
      type: 'function',
      function: { name: spec.name, description: spec.description, parameters: spec.parameters, function: async (args: string) => (await this.run(spec.name, args)).content },
    }));
  }

  anthropicTools(): AnthropicTool[] {
    return anthropicTools(this.#tools);
  }

  vercelAITools<S = VercelAISchema>(options: VercelAIToolsOptions<S> = {}): Record<string, VercelAITool<S>> {
    return vercelAITools(this.#tools, this.#executor, this.#route, options);
  }

  /** Runs one call by name with the model's arguments (JSON text or an object). A name the kit did not offer (a model's invention) is answered TOOL_NOT_FOUND, never sent. */
  async run(name: string, args: string | Record<string, unknown> | null | undefined, options: CallOptions = {}): Promise<ToolCallResult> {
    const spec = this.#specs.get(name);
    if (!spec) {
      const error = { code: 'TOOL_NOT_FOUND', message: `No tool named ${name} was offered; use one of: ${this.names.join(', ')}.` };
      return { toolName: name, isError: true, content: JSON.stringify({ error }), executionId: null, error };
    }
    return runToolCall(this.#executor, spec.route, name, args, options);
  }

  /** The `role: "tool"` messages answering every tool call of a chat completion message, in order. */
  async openAIChatToolMessages(message: { tool_calls?: ReadonlyArray<{ id: string; type?: string }> | null }, options: CallOptions = {}): Promise<OpenAIChatToolMessage[]> {
    // Only function calls: custom tool calls (`type: "custom"`) are not ours.
    const calls = (message.tool_calls ?? []).filter((call): call is OpenAIChatToolCall => (call.type === undefined || call.type === 'function') && 'function' in call);
    return Promise.all(calls.map(async (call) => openAIChatToolMessage(call, await this.run(call.function.name, call.function.arguments, options))));
  }

  /** The `function_call_output` items answering every `function_call` of a Responses API output, in order. */
  async openAIResponsesToolOutputs(output: ReadonlyArray<{ type: string }>, options: CallOptions = {}): Promise<OpenAIResponsesToolOutput[]> {
    const calls = output.filter((item): item is OpenAIResponsesFunctionCall & { type: 'function_call' } => item.type === 'function_call');
    return Promise.all(calls.map(async (call) => openAIResponsesToolOutput(call, await this.run(call.name, call.arguments, options))));
  }

  /** The user message answering every `tool_use` block of an Anthropic assistant message, in order. */
  async anthropicToolResultMessage(message: { content: ReadonlyArray<{ type: string }> }, options: CallOptions = {}): Promise<AnthropicToolResultMessage> {
    const uses = message.content.filter((block): block is AnthropicToolUse & { type: 'tool_use' } => block.type === 'tool_use');
    const content = await Promise.all(
      uses.map(async (use) => anthropicToolResult(use, await this.run(use.name, use.input && typeof use.input === 'object' && !Array.isArray(use.input) ? (use.input as Record<string, unknown>) : JSON.stringify(use.input ?? {}), options))),
    );
    return { role: 'user', content };
  }
}
