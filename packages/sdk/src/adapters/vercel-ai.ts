import type { ToolAccountRoute } from '../execute-tool.ts';
import { ToolproxyApiError } from '../errors.ts';
import type { ToolExecutor } from './run-tool-call.ts';
import { functionSpecs, type ToolSource } from './tool-source.ts';

/**
 * The schema object of the Vercel AI SDK, as its `jsonSchema()` makes it (the `vercel.ai.schema`
 * marker, the JSON Schema and no validator: the server validates every input).
 */
export interface VercelAISchema {
  readonly _type: unknown;
  readonly jsonSchema: Record<string, unknown>;
  readonly validate: undefined;
}

/** A tool of the Vercel AI SDK's `tools` option; `execute` runs it through `executeTool`. */
export interface VercelAITool<S> {
  description: string;
  inputSchema: S;
  execute: (input: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
}

export interface VercelAIToolsOptions<S> {
  /** The AI SDK's own `jsonSchema` (from `ai`): pass it to get its exact types. Default: an equal object made here. */
  jsonSchema?: (schema: Record<string, unknown>) => S;
}

const SCHEMA_MARKER = Symbol.for('vercel.ai.schema');

function markedSchema(schema: Record<string, unknown>): VercelAISchema {
  return { [SCHEMA_MARKER]: true, _type: undefined, jsonSchema: schema, validate: undefined } as VercelAISchema;
}

/**
 * Tools for the Vercel AI SDK (`generateText({ tools })`), keyed by name, each with an
 * `execute` that runs the tool as the user. The tool's `data` is the result the model reads; a
 * refusal throws, which the AI SDK reports to the model as a tool error.
 *
 * @example
 * import { generateText, jsonSchema } from 'ai';
 * const tools = vercelAITools(scoped, client.actions, { identifier: 'user_123' }, { jsonSchema });
 * await generateText({ model, tools, prompt: 'File a bug about the login page' });
 */
export function vercelAITools<S = VercelAISchema>(
  tools: readonly ToolSource[],
  executor: ToolExecutor,
  route: ToolAccountRoute,
  options: VercelAIToolsOptions<S> = {},
): Record<string, VercelAITool<S>> {
  const makeSchema = options.jsonSchema ?? (markedSchema as unknown as (schema: Record<string, unknown>) => S);
  const result: Record<string, VercelAITool<S>> = {};
  for (const spec of functionSpecs(tools, route)) {
    result[spec.name] = {
      description: spec.description,
      inputSchema: makeSchema(spec.parameters),
      execute: async (input, callOptions) => {
        const toolInput = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
        try {
          const { data } = await executor.executeTool({ ...spec.route, toolName: spec.name, toolInput, ...(callOptions?.abortSignal ? { signal: callOptions.abortSignal } : {}) });
          return data;
        } catch (error) {
          if (error instanceof ToolproxyApiError) error.message = `${error.code}: ${error.message}${error.problems.length ? ` (${error.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')})` : ''}`;
          throw error;
        }
      },
    };
  }
  return result;
}
