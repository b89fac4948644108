import { type Static, Type } from '@sinclair/typebox';
import { schemaProblems } from '../connectors/schema-problems.ts';
import type { Problem } from '../errors.ts';

/** Reference §6: at most 25 connection → tools mappings per config. */
export const MAX_MAPPINGS = 25;
export const MAX_TOOLS_PER_MAPPING = 500;
export const CONFIG_NAME_PATTERN = '^[a-z0-9_-]{1,100}$';
/** MCP tool names (2025-11-25, SEP-986): 1–128 of letters, digits, `_`, `-` and `.`. */
export const TOOL_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,128}$';

const Name = Type.String({
  pattern: CONFIG_NAME_PATTERN,
  errorMessage: 'must be 1-100 characters of a-z, 0-9, _ and -',
  description: 'Unique name, 1–100 of `[a-z0-9_-]`.',
});
const Description = Type.String({ maxLength: 1000, errorMessage: 'must be at most 1000 characters' });
const Mapping = Type.Object(
  {
    connection_name: Type.String({ minLength: 1, maxLength: 100, description: 'An existing connection.' }),
    tools: Type.Array(Type.String({ pattern: TOOL_NAME_PATTERN, errorMessage: 'must be a tool name (1-128 of A-Z a-z 0-9 _ - .)' }), {
      maxItems: MAX_TOOLS_PER_MAPPING,
      description: 'Tool names of this connection to serve; empty serves all of them.',
    }),
  },
  { additionalProperties: false },
);
const Mappings = Type.Array(Mapping, {
  maxItems: MAX_MAPPINGS,
  errorMessage: `must have at most ${MAX_MAPPINGS} mappings`,
  description: 'Which tools of which connections this MCP server serves (at most 25).',
});
const UserVerifyUrl = Type.String({
  maxLength: 2048,
  description:
    "Your page that confirms who your user is (reference §3.5), for MCP clients that connect with OAuth and for OAuth connections' authorization links. Its origin must be in TOOLPROXY_ALLOWED_REDIRECT_ORIGINS.",
});

export const McpConfigCreateBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    connection_tool_mappings: Mappings,
    user_verify_url: Type.Optional(Type.Union([UserVerifyUrl, Type.Null()])),
  },
  { additionalProperties: false },
);

export const McpConfigUpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    connection_tool_mappings: Type.Optional(Mappings),
    user_verify_url: Type.Optional(Type.Union([UserVerifyUrl, Type.Null()])),
  },
  { additionalProperties: false },
);

export type McpConfigCreateInput = Static<typeof McpConfigCreateBody>;
export type McpConfigUpdateInput = Static<typeof McpConfigUpdateBody>;

/** One connection of a config and the tools it serves (empty: all of them). */
export interface McpToolMapping {
  connectionName: string;
  tools: readonly string[];
}

/** Shape problems (types, patterns, sizes) and duplicates; existence is the service's check. */
export function inputProblems(body: unknown, mode: 'create' | 'update'): Problem[] {
  const problems = schemaProblems(mode === 'create' ? McpConfigCreateBody : McpConfigUpdateBody, body);
  const mappings = (body as { connection_tool_mappings?: unknown } | null)?.connection_tool_mappings;
  if (Array.isArray(mappings)) {
    const seen = new Set<string>();
    mappings.forEach((mapping: unknown, i) => {
      const name = (mapping as { connection_name?: unknown } | null)?.connection_name;
      if (typeof name === 'string') {
        if (seen.has(name)) problems.push({ path: `/connection_tool_mappings/${i}/connection_name`, message: 'is mapped twice' });
        seen.add(name);
      }
      const tools = (mapping as { tools?: unknown } | null)?.tools;
      if (Array.isArray(tools) && new Set(tools).size !== tools.length) {
        problems.push({ path: `/connection_tool_mappings/${i}/tools`, message: 'lists a tool twice' });
      }
    });
  }
  return problems;
}

/** The body schemas as plain JSON Schema for the OpenAPI document (Fastify's Ajv knows no `errorMessage`). */
export function documented<T extends object>(schema: T): T {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === 'errorMessage' ? undefined : value))) as T;
}
