/**
 * The connector definition: the contract users write ("bring your own connector").
 *
 * The shape is the reference's (agent-auth-features.md §1.2–1.3), so a definition written for it
 * validates here unchanged; extensions are marked `ext` (DESIGN.md §2). Properties that have a
 * `default` are required in the static types (validation fills them in) but optional in the
 * exported JSON Schema. `errorMessage` options give the readable problem text; they are stripped
 * from the JSON Schema export.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ToolsArraySchema } from '../tools/definition-schema.ts';

/** RFC 9110 §5.6.2 `token`: what a header name may be. */
export const HEADER_TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$";
export const FIELD_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,63}$';
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';
const PRINTABLE_ASCII = '^[\\u0020-\\u007e]*$';
// RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = '^[\\u0021\\u0023-\\u005b\\u005d-\\u007e]+$';
const HTTP_URL = '^https?://';

const HttpUrl = (description: string) =>
  Type.String({
    maxLength: 2048,
    pattern: HTTP_URL,
    description,
    errorMessage: 'must be an absolute http:// or https:// URL (P17: file:, data:, ws: and other schemes are refused)',
  });

const FieldSchema = Type.Object(
  {
    field_name: Type.String({
      pattern: FIELD_NAME_PATTERN,
      description: 'Key under which the value is stored; also the name used in {{templates}}.',
      errorMessage: 'must start with a-z or _, then only a-z, 0-9 and _ (at most 64 characters)',
    }),
    label: Type.String({ maxLength: 100, default: '', description: 'Label shown above the input on the hosted form.' }),
    input_type: Type.Union([Type.Literal('text'), Type.Literal('password')], {
      default: 'text',
      description: "'password' masks the input; template fields must be 'text'.",
    }),
    hint: Type.Optional(Type.String({ maxLength: 500, description: 'Helper text shown below the input.' })),
    required: Type.Boolean({ default: false, description: 'Whether the user must fill this field.' }),
    is_path_param: Type.Boolean({ default: false, description: 'The value fills a {{template}} in the path of proxy_url.' }),
  },
  { additionalProperties: false, description: 'An input the end user fills on the hosted form.' },
);

const MutationText = (description: string) =>
  Type.Optional(
    Type.String({
      maxLength: 256,
      pattern: PRINTABLE_ASCII,
      description,
      errorMessage: 'must be printable ASCII (no CR, LF or other control characters), at most 256 characters',
    }),
  );

const FieldMutationSchema = Type.Object(
  {
    default: MutationText('Used when the value is missing or empty (applied first).'),
    prefix: MutationText('Prepended after the default.'),
    suffix: MutationText('Appended after the prefix.'),
  },
  { additionalProperties: false },
);

const VerifySchema = Type.Object(
  {
    method: Type.Union([Type.Literal('GET'), Type.Literal('HEAD'), Type.Literal('POST')]),
    path: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: '^/',
      description: 'Path relative to proxy_url, starting with /.',
      errorMessage: 'must start with / (a path relative to proxy_url)',
    }),
    expect_status: Type.Optional(
      Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), {
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        description: 'Statuses that mean "credentials accepted"; any 2xx when absent.',
      }),
    ),
  },
  { additionalProperties: false, description: 'ext: a test call made when credentials are submitted.' },
);

const commonPatternProperties = {
  display_name: Type.Optional(Type.String({ maxLength: 100, description: 'Shown on the hosted page.' })),
  description: Type.Optional(Type.String({ maxLength: 500, description: 'Shown on the hosted page.' })),
  fields: Type.Array(FieldSchema, { maxItems: 20, default: [], description: 'Inputs the end user enters.' }),
  auth_header_key_override: Type.Optional(
    Type.String({
      pattern: HEADER_TOKEN_PATTERN,
      description: 'Send the credential in this header instead of Authorization (e.g. x-api-key).',
      errorMessage: 'must be a header name (RFC 9110 token: letters, digits and !#$%&\'*+.^_`|~-)',
    }),
  ),
  auth_field_mutations: Type.Optional(
    Type.Record(Type.String(), FieldMutationSchema, {
      description: 'Per credential field: default → prefix → suffix, applied before formatting.',
    }),
  ),
  // ext
  static_headers: Type.Optional(
    Type.Record(
      Type.String(),
      Type.String({
        maxLength: 1024,
        pattern: PRINTABLE_ASCII,
        errorMessage: 'must be printable ASCII (no CR, LF or other control characters), at most 1024 characters',
      }),
      { maxProperties: 20, description: 'ext: non-secret headers added to every upstream request.' },
    ),
  ),
  // ext
  verify: Type.Optional(VerifySchema),
};

export const ApiKeyPatternSchema = Type.Object(
  {
    type: Type.Literal('API_KEY'),
    ...commonPatternProperties,
    // ext
    auth_query_param: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._~-]{1,64}$',
        description: 'ext: send the key in this query parameter instead of a header.',
        errorMessage: 'must be 1–64 characters from A-Z a-z 0-9 . _ ~ -',
      }),
    ),
  },
  { additionalProperties: false, description: 'The key from the api_key field, raw in Authorization or the override header.' },
);

export const BearerPatternSchema = Type.Object(
  { type: Type.Literal('BEARER'), ...commonPatternProperties },
  { additionalProperties: false, description: 'Authorization: Bearer <token>.' },
);

export const BasicPatternSchema = Type.Object(
  { type: Type.Literal('BASIC'), ...commonPatternProperties },
  { additionalProperties: false, description: 'Authorization: Basic base64(username:password) (RFC 7617).' },
);

const ScopeSchema = Type.Object(
  {
    scope: Type.String({ maxLength: 256, pattern: SCOPE_TOKEN, errorMessage: 'must be one RFC 6749 scope token (no spaces or quotes)' }),
    display_name: Type.Optional(Type.String({ maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    required: Type.Boolean({ default: false, description: 'Always requested.' }),
  },
  { additionalProperties: false },
);

const OAuthConfigSchema = Type.Object(
  {
    authorize_uri: Type.Optional(HttpUrl('Authorization endpoint (RFC 6749 §3.1). Required unless `issuer` is given: then it is discovered from the issuer\'s metadata (RFC 8414) when the connector is saved.')),
    token_uri: Type.Optional(HttpUrl('Token endpoint (RFC 6749 §3.2). Required unless `issuer` is given: then it is discovered from the issuer\'s metadata (RFC 8414) when the connector is saved.')),
    user_info_uri: Type.Optional(HttpUrl('Endpoint that returns the signed-in user.')),
    revoke_uri: Type.Optional(HttpUrl('Revocation endpoint (RFC 7009).')),
    // ext
    issuer: Type.Optional(
      HttpUrl('ext: the authorization server\'s issuer identifier; when set, an `iss` in the authorization response must equal it (RFC 9207), and endpoints left out are discovered from its metadata (RFC 8414, else OpenID discovery) when the connector is saved.'),
    ),
    available_scopes: Type.Array(ScopeSchema, { maxItems: 200, default: [] }),
    pkce_enabled: Type.Boolean({ default: true, description: 'PKCE with S256 (RFC 7636); keep it on (RFC 9700 §2.1.1).' }),
    custom_scope_name: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._~-]{1,64}$',
        description: 'Query parameter that carries the scopes, when not "scope".',
        errorMessage: 'must be 1–64 characters from A-Z a-z 0-9 . _ ~ -',
      }),
    ),
    scope_separator: Type.Optional(
      Type.String({ minLength: 1, maxLength: 3, pattern: PRINTABLE_ASCII, description: 'Joins scopes; a space when absent.' }),
    ),
    // ext
    token_endpoint_auth_method: Type.Optional(
      Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], {
        description: 'ext: how the client authenticates at token_uri (RFC 6749 §2.3.1).',
      }),
    ),
  },
  // For editors: the endpoints, or an issuer to discover them from (definition-rules.ts says which is missing).
  {
    additionalProperties: false,
    anyOf: [
      { properties: { authorize_uri: {}, token_uri: {} }, required: ['authorize_uri', 'token_uri'] },
      { properties: { issuer: {} }, required: ['issuer'] },
    ],
  },
);

export const OAuthPatternSchema = Type.Object(
  {
    type: Type.Literal('OAUTH'),
    ...commonPatternProperties,
    fields: Type.Array(FieldSchema, {
      maxItems: 0,
      default: [],
      errorMessage: 'must be empty for OAUTH (the OAuth flow collects the credentials); use account_fields for per-account values',
    }),
    account_fields: Type.Array(FieldSchema, { maxItems: 20, default: [], description: 'Per-account inputs, e.g. {{templates}} in proxy_url.' }),
    oauth_config: OAuthConfigSchema,
  },
  { additionalProperties: false, description: 'Authorization code flow; Authorization: Bearer <access_token>.' },
);

export const AUTH_TYPES = ['API_KEY', 'BASIC', 'BEARER', 'OAUTH'] as const;

/** One schema per `type`, so validation can pick the variant first and give precise messages. */
export const AUTH_PATTERN_SCHEMAS = {
  API_KEY: ApiKeyPatternSchema,
  BASIC: BasicPatternSchema,
  BEARER: BearerPatternSchema,
  OAUTH: OAuthPatternSchema,
} as const satisfies Record<(typeof AUTH_TYPES)[number], TSchema>;

export const AuthPatternSchema = Type.Union([ApiKeyPatternSchema, BasicPatternSchema, BearerPatternSchema, OAuthPatternSchema]);

const AUTH_PATTERNS_OPTIONS = {
  minItems: 1,
  maxItems: 1,
  description: 'Exactly one auth pattern (the reference supports one today).',
  errorMessage: 'must hold exactly one auth pattern (only one is supported today)',
};

/** Top-level properties other than `auth_patterns`. */
const definitionProperties = {
  display_name: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: NO_CONTROL,
    description: 'Name shown in the catalog and on hosted pages.',
    errorMessage: 'must be 1–100 characters without control characters',
  }),
  description: Type.Optional(Type.String({ maxLength: 500, description: 'Short text shown in the catalog.' })),
  proxy_url: Type.String({
    maxLength: 2048,
    pattern: HTTP_URL,
    description: 'Base URL of the upstream API; may contain {{field}} templates naming text fields.',
    errorMessage: 'must be an absolute http:// or https:// URL (P17: file:, data:, ws: and other schemes are refused)',
  }),
  proxy_enabled: Type.Boolean({ default: true, description: 'false keeps the connector but refuses proxy calls.' }),
  icon_src: Type.Optional(
    Type.String({ maxLength: 2048, pattern: '^https://', description: 'Icon URL.', errorMessage: 'must be an https:// URL' }),
  ),
  metadata: Type.Optional(
    Type.Record(Type.String(), Type.String({ maxLength: 1000 }), { maxProperties: 50, description: 'Free-form string pairs, stored as given.' }),
  ),
};

export const ConnectorDefinitionSchema = Type.Object(
  {
    ...definitionProperties,
    auth_patterns: Type.Array(AuthPatternSchema, AUTH_PATTERNS_OPTIONS),
    // ext
    tools: Type.Optional(ToolsArraySchema),
  },
  { additionalProperties: false, title: 'toolproxy connector definition' },
);

/** The top level with each pattern left unchecked: patterns are checked one variant at a time. */
export const DefinitionShellSchema = Type.Object(
  { ...definitionProperties, auth_patterns: Type.Array(Type.Unknown(), AUTH_PATTERNS_OPTIONS), tools: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);

export type ConnectorDefinition = Static<typeof ConnectorDefinitionSchema>;
export type AuthPattern = Static<typeof AuthPatternSchema>;
export type AuthType = AuthPattern['type'];
export type PatternOf<T extends AuthType> = Extract<AuthPattern, { type: T }>;
export type ApiKeyPattern = Static<typeof ApiKeyPatternSchema>;
export type BearerPattern = Static<typeof BearerPatternSchema>;
export type BasicPattern = Static<typeof BasicPatternSchema>;
export type OAuthPattern = Static<typeof OAuthPatternSchema>;
export type OAuthConfig = Static<typeof OAuthConfigSchema>;
export type ConnectorField = Static<typeof FieldSchema>;
export type FieldMutation = Static<typeof FieldMutationSchema>;
export type VerifyCall = Static<typeof VerifySchema>;

export const CONNECTOR_DEFINITION_SCHEMA_ID = 'https://toolproxy.dev/schemas/connector-definition.json';

/**
 * The definition as a plain JSON Schema (draft 2020-12) document, for editors and the docs.
 * Properties with a default are not required here: authors may leave them out.
 */
export function connectorDefinitionJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(ConnectorDefinitionSchema)) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONNECTOR_DEFINITION_SCHEMA_ID,
    ...(toAuthorSchema(plain) as Record<string, unknown>),
    title: 'toolproxy connector definition',
    description:
      'A custom connector: where the upstream API lives and how credentials are injected. ' +
      'Compatible with the reference "bring your own connector" definitions; ext properties are toolproxy extensions.',
  };
}

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs']);
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf']);
const SUBSCHEMAS = new Set(['items', 'additionalProperties', 'not']);

/** Drops `errorMessage` and un-requires defaulted properties, walking only schema positions. */
function toAuthorSchema(node: unknown): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'errorMessage') continue;
    if (SCHEMA_MAPS.has(key) && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toAuthorSchema(v)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map(toAuthorSchema);
    } else if (SUBSCHEMAS.has(key)) {
      out[key] = toAuthorSchema(value);
    } else {
      out[key] = value;
    }
  }
  const properties = out['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (Array.isArray(out['required']) && properties) {
    const required = (out['required'] as string[]).filter((name) => !('default' in (properties[name] ?? {})));
    if (required.length > 0) out['required'] = required;
    else delete out['required'];
  }
  return out;
}
