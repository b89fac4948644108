/**
 * A tool: a named action over a connector, with a JSON Schema input and a request template
 * (DESIGN.md §9, issue 12). The names of the reference's Tool definition are kept (`name`,
 * `display_name`, `description`, `input_schema`, `output_schema`), so its adapters read ours.
 * The request template and output projection are ours; docs/connectors.md#tools describes them.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Lower-case letters, digits and `_`, at most 64 (what OpenAI and Anthropic accept as function names). */
export const TOOL_NAME_PATTERN = '^[a-z0-9_]{1,64}$';
export const TOOL_NAME_MAX = 64;
export const TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const BODY_ENCODINGS = ['json', 'form', 'text', 'binary'] as const;
export const VALUE_STYLES = ['repeat', 'comma', 'deep_object'] as const;
/** Per tool, serialized: a guard against schemas that would cost every caller memory. */
export const TOOL_DEFINITION_MAX_BYTES = 512 * 1024;
export const MAX_TOOLS_PER_DEFINITION = 3000;

const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';

const ValueMappingSchema = Type.Object(
  {
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The input property whose value is sent; left out when the input has none.' })),
    value: Type.Optional(Type.Unknown({ description: 'A constant sent on every call (a string, number or boolean; any JSON in a body).' })),
    style: Type.Optional(
      Type.Union(VALUE_STYLES.map((style) => Type.Literal(style)), {
        description: 'Arrays: repeat the key (default) or join with commas; objects: deep_object (key[member]=value).',
      }),
    ),
  },
  { additionalProperties: false, description: 'Where a value comes from: exactly one of `from` (an input property) or `value` (a constant).' },
);

const MappingRecord = (description: string, maxProperties: number) =>
  Type.Record(Type.String({ minLength: 1, maxLength: 256 }), ValueMappingSchema, { maxProperties, description });

const BodyTemplateSchema = Type.Object(
  {
    encoding: Type.Union(BODY_ENCODINGS.map((encoding) => Type.Literal(encoding)), {
      default: 'json',
      description: 'json, form (application/x-www-form-urlencoded), text (a string input) or binary (a base64 string input).',
    }),
    content_type: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\\s*;\\s*[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]+)*$',
        description: 'Content-Type sent; defaults per encoding (application/json, application/x-www-form-urlencoded, text/plain; charset=utf-8, application/octet-stream).',
        errorMessage: 'must be a media type such as application/json or text/plain; charset=utf-8',
      }),
    ),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The whole body is this input property.' })),
    properties: Type.Optional(
      MappingRecord('Body members (json, form) by relative JSON pointer: "title", "fields/summary".', 200),
    ),
  },
  { additionalProperties: false, description: 'The request body, built from the input.' },
);

const RequestTemplateSchema = Type.Object(
  {
    method: Type.Union(TOOL_METHODS.map((method) => Type.Literal(method))),
    path: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Relative to the connector proxy_url, with {param} placeholders naming required input properties.',
    }),
    query: Type.Optional(MappingRecord('Query parameters by name.', 100)),
    headers: Type.Optional(MappingRecord('Non-credential request headers by name.', 30)),
    body: Type.Optional(BodyTemplateSchema),
  },
  { additionalProperties: false, description: 'How an input becomes an upstream request.' },
);

const OutputProjectionSchema = Type.Object(
  {
    root: Type.Optional(Type.String({ maxLength: 512, description: 'JSON pointer to the part of the answer to keep (e.g. /items).' })),
    fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
        minItems: 1,
        maxItems: 200,
        description: 'Relative JSON pointers to keep (under root); * stands for every element of an array: "*/title".',
      }),
    ),
  },
  { additionalProperties: false, description: 'Keeps only part of a JSON answer, to save a model context.' },
);

const AnnotationsSchema = Type.Object(
  {
    read_only_hint: Type.Optional(Type.Boolean()),
    destructive_hint: Type.Optional(Type.Boolean()),
    idempotent_hint: Type.Optional(Type.Boolean()),
    open_world_hint: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Hints for clients (MCP tool annotations), never enforced.' },
);

const JsonSchemaObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const ToolDefinitionSchema = Type.Object(
  {
    name: Type.String({
      pattern: TOOL_NAME_PATTERN,
      description: '<connector>_<action>: the connector identifier (- as _) then _ and the action; unique.',
      errorMessage: 'must be 1–64 characters from a-z, 0-9 and _',
    }),
    display_name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: NO_CONTROL,
      errorMessage: 'must be 1–100 characters without control characters',
    }),
    description: Type.String({ minLength: 1, maxLength: 4096, description: 'What the tool does and when to use it, written for a model to read.' }),
    input_schema: JsonSchemaObject('JSON Schema (draft 2020-12) of the input: type object.'),
    output_schema: Type.Optional(JsonSchemaObject('JSON Schema (draft 2020-12) of the answer, for documentation.')),
    annotations: Type.Optional(AnnotationsSchema),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: NO_CONTROL }), { maxItems: 20, uniqueItems: true })),
    request: RequestTemplateSchema,
    output: Type.Optional(OutputProjectionSchema),
  },
  { additionalProperties: false, title: 'toolproxy tool definition' },
);

export type ToolDefinition = Static<typeof ToolDefinitionSchema>;
export type RequestTemplate = Static<typeof RequestTemplateSchema>;
export type BodyTemplate = Static<typeof BodyTemplateSchema>;
export type ValueMapping = Static<typeof ValueMappingSchema>;
export type OutputProjection = Static<typeof OutputProjectionSchema>;
export type ToolMethod = (typeof TOOL_METHODS)[number];
export type BodyEncoding = (typeof BODY_ENCODINGS)[number];

/** A connector's tools array in the connector definition (JSON Schema export). */
export const ToolsArraySchema = Type.Array(ToolDefinitionSchema, {
  maxItems: MAX_TOOLS_PER_DEFINITION,
  description: 'ext: tools over this connector (typed actions a model can call).',
});
