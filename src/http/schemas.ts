import { type TSchema, Type } from '@sinclair/typebox';

/** Wire schemas of the management API: they validate requests and produce the OpenAPI document. */

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code; see docs/errors.md.' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorBody', description: 'The one error shape of the API.' },
);

export const errorResponses = {
  400: Type.Ref(ErrorBody),
  401: Type.Ref(ErrorBody),
  404: Type.Ref(ErrorBody),
  409: Type.Ref(ErrorBody),
  422: Type.Ref(ErrorBody),
};

export const PageQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  page_token: Type.Optional(Type.String({ maxLength: 200 })),
};

export const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const AccountStatusSchema = Type.Union(
  ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'].map((s) => Type.Literal(s)),
);

export const ConnectedAccount = Type.Object(
  {
    id: Type.String({ examples: ['ca_3kT0…'] }),
    identifier: Type.String({ description: "Your application's id for the end user." }),
    connection_name: Type.String(),
    connection_id: Type.String(),
    connector: Type.String(),
    status: AccountStatusSchema,
    authorization_type: Type.String(),
    organization_id: Type.Union([Type.String(), Type.Null()], { description: 'Set when the account was created with one; calls that give one must match it.' }),
    user_id: Type.Union([Type.String(), Type.Null()], { description: 'Set when the account was created with one; calls that give one must match it.' }),
    api_config: Type.Record(Type.String(), Type.String(), { description: 'Non-secret per-account fields (e.g. domain).' }),
    has_credentials: Type.Boolean({ description: 'Credentials are stored (they are never returned).' }),
    token_expires_at: NullableTimestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When the proxy last forwarded a call for this account; updated at most every five minutes per account and server instance.',
    }),
    status_updated_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'ConnectedAccount' },
);

export const Connection = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: 'The connectionName SDK calls pass.' }),
    connector: Type.String({ description: 'Identifier of the connector.' }),
    connector_id: Type.String(),
    type: Type.String({ description: 'OAUTH, BASIC, BEARER or API_KEY.' }),
    enabled: Type.Boolean(),
    settings: Type.Record(Type.String(), Type.Unknown(), { description: 'Non-secret settings; for OAUTH client_id, scopes, token_endpoint_auth_method, extra_authorize_params, has_client_secret.' }),
    redirect_uri: Type.Optional(Type.String({ description: 'OAUTH: register exactly this redirect URI at the provider.' })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Connection' },
);

/** A connector as returned: its definition plus read-only fields. */
export const Provider = Type.Object(
  {
    id: Type.String(),
    identifier: Type.String(),
    display_name: Type.String(),
    description: Type.Optional(Type.String()),
    proxy_url: Type.String(),
    proxy_enabled: Type.Boolean(),
    icon_src: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
    auth_patterns: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    is_custom: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Provider' },
);

/** A tool in the reference's shape (scalekit.v1.tools.Tool); docs/tools.md. */
export const Tool = Type.Object(
  {
    id: Type.String({ examples: ['tool_3kT0…'] }),
    provider: Type.String({ description: "The connector's identifier." }),
    definition: Type.Object({
      name: Type.String(),
      display_name: Type.String(),
      description: Type.String(),
      input_schema: Type.Unknown({ description: 'JSON Schema (2020-12) of the input.' }),
      output_schema: Type.Optional(Type.Unknown()),
      annotations: Type.Optional(Type.Unknown()),
    }),
    metadata: Type.Object({
      connector_id: Type.String(),
      origin: Type.Union([Type.Literal('catalog'), Type.Literal('custom'), Type.Literal('openapi')]),
      version: Type.Integer({ description: 'Bumped on every change.' }),
      request: Type.Unknown({ description: 'The request template (docs/connectors.md#tools).' }),
      output: Type.Optional(Type.Unknown()),
    }),
    tags: Type.Array(Type.String()),
    is_default: Type.Boolean({ description: "true for the built-in catalog's tools (read-only)." }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Tool' },
);

export const sharedSchemas: TSchema[] = [ErrorBody, ConnectedAccount, Connection, Provider, Tool];

/** Credentials in the reference's shape: `authorization_details.static_auth.details`. */
export const AuthorizationDetails = Type.Object(
  {
    static_auth: Type.Object({
      details: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4096 }), {
        description: 'Field values keyed by field_name (api_key, token, username, password, template fields).',
      }),
    }),
  },
  { additionalProperties: false },
);

/** OAuth client settings of a connection (reference §2). The secret is write-only. */
export const OAuthSettingsBody = {
  client_id: Type.Optional(Type.String({ maxLength: 512 })),
  client_secret: Type.Optional(Type.String({ maxLength: 2048, description: 'Write-only; never returned. Empty string removes it.' })),
  scopes: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
  token_endpoint_auth_method: Type.Optional(
    Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('none')]),
  ),
  extra_authorize_params: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 512 }), { maxProperties: 20 })),
};
