import { type Static, Type } from '@sinclair/typebox';

/**
 * A policy document (docs/policies.md), as the API takes and returns it: snake_case, every field
 * optional, an absent field allows everything on its dimension. A connection has one; a connected
 * account (and an MCP session token) may have one that only narrows it.
 */

const METHOD = Type.String({ pattern: '^[A-Za-z]+$', maxLength: 16, errorMessage: 'must be an HTTP method name' });
const PATTERN = Type.String({ minLength: 1, maxLength: 1000 });
const TOOL_NAME = Type.String({ minLength: 1, maxLength: 255 });
const LIST_MAX = 100;

export const PolicyDocumentSchema = Type.Object(
  {
    allowed_methods: Type.Optional(Type.Array(METHOD, { minItems: 1, maxItems: 16, errorMessage: 'must list at least one method (to refuse every call, disable the connection)' })),
    paths: Type.Optional(
      Type.Object(
        {
          allow: Type.Optional(Type.Array(PATTERN, { minItems: 1, maxItems: LIST_MAX, errorMessage: 'must list 1-100 patterns' })),
          deny: Type.Optional(Type.Array(PATTERN, { maxItems: LIST_MAX, errorMessage: 'must list at most 100 patterns' })),
        },
        { additionalProperties: false },
      ),
    ),
    read_only: Type.Optional(Type.Boolean()),
    tools: Type.Optional(Type.Array(TOOL_NAME, { minItems: 1, maxItems: 1000, errorMessage: 'must list at least one tool name' })),
    tools_only: Type.Optional(Type.Boolean()),
    rate_limit: Type.Optional(
      Type.Object(
        {
          requests: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          per_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
        },
        { additionalProperties: false },
      ),
    ),
    max_request_body_bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
    require_approval: Type.Optional(
      Type.Object(
        {
          methods: Type.Optional(Type.Array(METHOD, { maxItems: 16 })),
          tools: Type.Optional(Type.Array(TOOL_NAME, { maxItems: 1000 })),
          paths: Type.Optional(Type.Array(PATTERN, { maxItems: LIST_MAX })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type PolicyDocument = Static<typeof PolicyDocumentSchema>;

/** What `read_only` allows. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
