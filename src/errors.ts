/**
 * The one catalogue of error codes. Every error a caller can see has a stable `code`, an HTTP
 * status and a default message that says what to do next. SDKs and clients match on `code`,
 * never on the message. `docs/errors.md` lists the same codes; a test keeps the two in step.
 *
 * Wire shape: `{ "error": { "code": "ACCOUNT_NOT_ACTIVE", "message": "…", "details": … } }`.
 * Below 500 the message and details are shown; a 5xx gets the catalogue message only and the
 * cause stays in the (redacted) log.
 */

export const ERROR_CATALOGUE = {
  // Requests we cannot read
  VALIDATION_FAILED: [400, 'The request is invalid; see details for every problem.'],
  MALFORMED_JSON: [400, 'The request body is not valid JSON.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Send the request body as application/json.'],
  PAYLOAD_TOO_LARGE: [413, 'The request body is larger than this server accepts.'],
  ROUTE_NOT_FOUND: [404, 'No such endpoint. See /api/openapi.json for the API.'],
  MALFORMED_REQUEST: [400, 'The request is not valid HTTP/1.1 and could not be read; see details.reason. The connection is closed.'],
  HEADERS_TOO_LARGE: [431, 'The request headers are larger than this server accepts (16 KiB in all). The connection is closed.'],
  REQUEST_TIMEOUT: [408, 'The request did not arrive in full in time. The connection is closed.'],
  METHOD_NOT_ALLOWED: [405, 'This server is not a forward proxy: CONNECT is not supported. Call the Tool Proxy as /proxy/{path} with the connection_name and identifier headers.'],
  INVALID_URL: [400, 'The request URL is malformed (bad percent-encoding, a NUL byte, a backslash or a dot segment). Fix the URL.'],
  URL_TOO_LONG: [414, 'A path segment of the request URL is longer than this server accepts.'],

  // App (API client) authentication
  UNAUTHENTICATED: [401, 'Send a valid bearer token from POST /oauth/token in the Authorization header.'],
  TOKEN_EXPIRED: [401, 'The access token has expired. Request a new one from POST /oauth/token.'],
  INVALID_CLIENT: [401, 'Unknown client_id or wrong client_secret.'],
  UNSUPPORTED_GRANT_TYPE: [400, 'Only grant_type=client_credentials is supported.'],
  CLIENT_NOT_FOUND: [404, 'No active API client with this client_id.'],
  LAST_ACTIVE_CLIENT: [409, 'This is the last active API client. Create another one before revoking it.'],

  // Connectors
  CONNECTOR_NOT_FOUND: [404, 'No connector with this identifier.'],
  CONNECTOR_INVALID: [422, 'The connector definition is invalid; see details for every problem.'],
  CONNECTOR_IN_USE: [409, 'The connector is used by connections. Delete them first.'],
  CONNECTOR_BUILT_IN: [409, 'Built-in connectors cannot be replaced or deleted. To change one, create a custom connector from its definition.'],
  CONNECTOR_TEMPLATE_ERROR: [409, "The connector's proxy_url cannot be rendered for this account: a template field is missing or invalid. Send the user a new authorization link."],
  OAUTH_DISCOVERY_FAILED: [422, "The issuer's authorization server metadata (RFC 8414 / OpenID discovery) could not be fetched or did not validate; see details. Fix the issuer, or give authorize_uri and token_uri yourself."],

  // Connections
  CONNECTION_NOT_FOUND: [404, 'No connection with this name.'],
  CONNECTION_EXISTS: [409, 'A connection with this name already exists.'],
  CONNECTION_IN_USE: [409, 'The connection has connected accounts. Delete them first.'],
  CONNECTION_DISABLED: [409, 'The connection is disabled. Enable it to use its accounts.'],

  // Connected accounts
  ACCOUNT_NOT_FOUND: [404, 'No connected account for this connection and identifier.'],
  ACCOUNT_EXISTS: [409, 'A connected account for this connection and identifier already exists.'],
  ACCOUNT_NOT_ACTIVE: [409, 'The connected account is not active. Send the user an authorization link (POST /api/v1/connected_accounts/magic_link).'],
  ACCOUNT_EXPIRED: [409, 'The user\'s authorization expired or was revoked at the provider. Send the user a new authorization link (POST /api/v1/connected_accounts/magic_link).'],
  ACCOUNT_DISCONNECTED: [409, 'The connected account was disconnected: its credentials were removed and its grant revoked. Send the user a new authorization link (POST /api/v1/connected_accounts/magic_link) to connect it again.'],
  INVALID_IDENTIFIER: [400, 'identifier, organization_id and user_id must be 1-255 characters without leading or trailing whitespace and without control characters; see details.'],
  INVALID_FIELD: [422, 'A credential or account field is invalid; see details.'],
  CREDENTIALS_UNREADABLE: [500, 'Stored credentials could not be decrypted.'],

  // Authorization links and hosted pages
  LINK_INVALID: [404, 'This authorization link is not valid.'],
  LINK_EXPIRED: [410, 'This authorization link has expired. Ask for a new one.'],
  LINK_USED: [410, 'This authorization link has already been used. Ask for a new one.'],
  LINK_SUPERSEDED: [410, 'A newer authorization link was issued for this account, or the account was connected or disconnected since: this link no longer works. Use the newest link or ask for a new one.'],
  VERIFICATION_FAILED: [422, 'The upstream API refused these credentials.'],
  REDIRECT_URL_NOT_ALLOWED: [400, 'redirect_url and user_verify_url must use an origin listed in TOOLPROXY_ALLOWED_REDIRECT_ORIGINS.'],
  OAUTH_STATE_INVALID: [400, 'This authorization response does not belong to a flow started in this browser (unknown, used or expired state). Start again from the authorization link.'],
  OAUTH_ACCESS_DENIED: [400, 'The user did not grant access at the provider. Send a new authorization link to try again.'],
  OAUTH_PROVIDER_ERROR: [502, 'The OAuth provider answered with an error; see the server log and the connection settings.'],
  OAUTH_CLIENT_REJECTED: [502, 'The OAuth provider refused the connection\'s client credentials (invalid_client). Fix client_id/client_secret on the connection.'],
  OAUTH_PROVIDER_UNAVAILABLE: [503, 'The OAuth provider\'s token endpoint is unavailable. The account is unchanged; try again shortly.'],
  USER_VERIFICATION_MISMATCH: [403, 'The identifier does not match the account this authorization request was made for.'],
  AUTH_REQUEST_NOT_FOUND: [404, 'No pending authorization request with this id (unknown, expired or already verified).'],

  // Tool Proxy
  MISSING_ROUTING_HEADERS: [400, 'Send the connection_name and identifier headers with every proxy call.'],
  INVALID_PATH: [400, 'The path must stay inside the connector proxy_url; see details.'],
  INVALID_HEADER: [400, 'A request header name or value is not allowed; see details.'],
  INVALID_METHOD: [400, 'This HTTP method cannot be proxied.'],
  PROXY_DISABLED: [409, 'The connector has proxy_enabled set to false.'],
  UPSTREAM_ADDRESS_FORBIDDEN: [403, "The connector's upstream resolves to a private, loopback, link-local or reserved address, which this server does not call. To allow an on-premises upstream, add its range to TOOLPROXY_EGRESS_ALLOW_CIDRS."],
  UPSTREAM_UNREACHABLE: [502, 'The upstream API could not be reached.'],
  UPSTREAM_CONNECT_TIMEOUT: [504, 'Connecting to the upstream API timed out; the request was not sent.'],
  UPSTREAM_TIMEOUT: [504, 'The upstream API did not send response headers in time.'],
  UPSTREAM_BODY_TIMEOUT: [504, 'The upstream API stopped sending the response body.'],
  UPSTREAM_DEADLINE_EXCEEDED: [504, 'The call did not complete within the total time allowed (TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS).'],
  UPSTREAM_ERROR: [502, 'The upstream API sent an invalid response or closed the connection.'],
  CONCURRENCY_LIMIT_EXCEEDED: [429, 'Too many calls in flight for this connected account or connection, and no place to wait for a slot (details.limit says which). Retry after the Retry-After delay.'],

  // Policies (docs/policies.md)
  POLICY_INVALID: [422, 'The policy is invalid or contradicts itself; see details for every problem.'],
  POLICY_WIDENS: [422, "A connected account's or MCP token's policy may only narrow its connection's; see details for every rule that would widen it."],
  POLICY_DENIED: [403, "The connection's policy does not allow this call (details.rule names the rule); nothing was sent upstream."],
  RATE_LIMITED: [429, "The connected account's rate limit (its policy's rate_limit) is used up; nothing was sent upstream. Retry after the Retry-After delay."],
  // Human approval (docs/approvals.md)
  APPROVAL_REQUIRED: [403, 'A policy rule requires a person to approve this call; nothing was sent upstream. details.approval_id names the approval, details.approval_url where to decide it and details.expires_at until when. Send x-toolproxy-approval-wait to hold the call for the decision instead.'],
  APPROVAL_DENIED: [403, 'A person denied this call; nothing was sent upstream.'],
  APPROVAL_NOT_FOUND: [404, 'No approval with this id.'],
  APPROVAL_EXPIRED: [410, 'The approval expired before anyone decided it; the call was not sent. Make the call again to ask anew.'],
  APPROVAL_ALREADY_DECIDED: [409, 'The approval was already approved or denied; a decision cannot be changed.'],
  APPROVAL_USED: [409, 'The approved call has already run (or is running); an approval runs its call once.'],
  APPROVAL_PENDING: [409, 'Nobody has decided the approval yet: approve it before executing it.'],

  // Tools (docs/tools.md)
  TOOL_NOT_FOUND: [404, 'No tool with this name. List tools with GET /api/v1/tools.'],
  TOOL_INVALID: [422, 'The tool definition is invalid; see details for every problem.'],
  TOOL_EXISTS: [409, 'A tool with this name already exists; tool names are unique across connectors.'],
  TOOL_BUILT_IN: [409, 'Built-in tools are read-only, and custom tools can only be added to custom connectors. Create a custom connector to add tools.'],
  TOOL_INPUT_INVALID: [400, 'The tool input is invalid; see details.problems for every problem, each with the JSON pointer of the offending property.'],
  TOOL_CONNECTION_MISMATCH: [400, "The tool belongs to another connector than the connected account's connection. Call it with an account on a connection of the tool's connector (GET /api/v1/tools/scoped lists them)."],
  TOOL_UNAUTHORIZED: [424, "The upstream API refused the user's credentials (HTTP 401): the authorization was revoked or no longer covers this call. Send the user a new authorization link (POST /api/v1/connected_accounts/magic_link)."],
  TOOL_FORBIDDEN: [424, 'The upstream API refused this call for the user (HTTP 403): a missing scope or permission. details.body is its answer.'],
  TOOL_UPSTREAM_REJECTED: [424, 'The upstream API refused the tool call (HTTP 4xx); details.status and details.body are its answer.'],
  TOOL_RATE_LIMITED: [429, 'The upstream API rate-limited the tool call (HTTP 429). Retry after the Retry-After delay.'],
  TOOL_UPSTREAM_FAILED: [502, 'The upstream API failed the tool call (HTTP 5xx); details.status and details.body are its answer.'],
  OPENAPI_INVALID: [422, 'The OpenAPI document is not a valid OpenAPI 3.0/3.1 or Swagger 2.0 description; see details.'],
  OPENAPI_TOO_LARGE: [413, 'The OpenAPI document is too large to import (see details for the limit); import a smaller document or select operations with include.'],
  OPENAPI_FETCH_FAILED: [422, 'The OpenAPI document could not be fetched from the URL; see details.'],
  // MCP server configs, session tokens and the MCP endpoint (docs/mcp.md)
  MCP_CONFIG_NOT_FOUND: [404, 'No MCP server config with this id.'],
  MCP_CONFIG_EXISTS: [409, 'An MCP server config with this name already exists.'],
  MCP_CONFIG_INVALID: [422, 'The MCP server config is invalid; see details for every problem.'],
  MCP_TOKEN_MISSING: [401, 'Send an MCP session token (POST /api/v1/mcp/configs/{id}/session_tokens) or an access token from this server\'s authorization server as a bearer token.'],
  MCP_TOKEN_INVALID: [401, 'The bearer token is not a valid MCP token, or it was revoked. Mint a new session token or authorize again.'],
  MCP_TOKEN_EXPIRED: [401, 'The MCP token has expired. Mint a new session token, or refresh the access token.'],
  MCP_TOKEN_WRONG_RESOURCE: [401, 'The MCP token was issued for another MCP server URL. Use a token minted for this config.'],
  MCP_INSUFFICIENT_SCOPE: [403, 'The MCP token does not carry the scope this request needs; authorize again with the scope named in WWW-Authenticate.'],
  MCP_ORIGIN_NOT_ALLOWED: [403, 'The Host or Origin header does not name this server (DNS rebinding protection).'],
  MCP_PROTOCOL_VERSION_UNSUPPORTED: [400, 'Unsupported MCP-Protocol-Version header; this server speaks 2025-11-25 and 2025-06-18.'],
  MCP_MALFORMED_MESSAGE: [400, 'The request body is not a valid JSON-RPC message.'],
  MCP_METHOD_NOT_ALLOWED: [405, 'The MCP endpoint takes POST (messages) and GET (the notification stream); sessions are stateless, so DELETE is not used.'],
  MCP_TOO_MANY_STREAMS: [503, 'This server holds as many MCP notification streams as it allows. Try again later.'],
  MCP_USER_VERIFICATION_NOT_CONFIGURED: [409, 'This MCP server config has no user_verify_url, so MCP clients cannot connect with OAuth. Set one, or mint session tokens.'],
  MCP_AUTHORIZATION_REQUEST_INVALID: [400, 'This MCP authorization request is unknown, expired, already used, or was started in another browser. Start again from the MCP client.'],

  // The MCP OAuth authorization server (RFC 6749 §5.2 error shape, docs/mcp.md)
  MCP_OAUTH_INVALID_REQUEST: [400, 'The OAuth request is missing a parameter or has an invalid one; see error_description.'],
  MCP_OAUTH_INVALID_CLIENT: [401, 'Unknown MCP OAuth client, or its authentication failed.'],
  MCP_OAUTH_INVALID_GRANT: [400, 'The authorization code or refresh token is invalid, expired, already used, or was issued to another client, redirect URI or resource.'],
  MCP_OAUTH_UNSUPPORTED_GRANT_TYPE: [400, 'Only the authorization_code and refresh_token grants are supported.'],
  MCP_OAUTH_INVALID_SCOPE: [400, 'The requested scope is unknown or wider than granted.'],
  MCP_OAUTH_INVALID_TARGET: [400, 'The resource parameter must be the URL of one of this server\'s MCP configs (RFC 8707).'],
  MCP_OAUTH_INVALID_REDIRECT_URI: [400, 'Redirect URIs must be https, or http on a loopback host, without a fragment, and match a registered one exactly.'],
  MCP_OAUTH_INVALID_CLIENT_METADATA: [400, 'The client metadata is invalid; see error_description.'],

  // Wire compatibility (docs/compat.md)
  NOT_SUPPORTED: [501, 'toolproxy does not support this operation or parameter; see details and docs/compat.md.'],

  // Audit trail (docs/audit.md)
  AUDIT_UNAVAILABLE: [503, 'The audit trail cannot keep up (its database is slow or unavailable), so the call was not made: nothing reached the upstream API. Try again shortly.'],
  AUDIT_RANGE_INVALID: [400, 'from and to must be ISO 8601 times (or epoch milliseconds) with from before to; format is jsonl or csv.'],

  // Server
  STORE_UNAVAILABLE: [503, 'The database is unavailable. Try again shortly.'],
  INTERNAL_ERROR: [500, 'Something went wrong on our side. The cause is in the server log.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorOptions {
  message?: string;
  details?: unknown;
  cause?: unknown;
}

export class ToolproxyError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: unknown;

  constructor(code: ErrorCode, options: ErrorOptions = {}) {
    const [statusCode, defaultMessage] = ERROR_CATALOGUE[code];
    super(options.message ?? defaultMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolproxyError';
    this.code = code;
    this.statusCode = statusCode;
    this.details = options.details;
  }

  /** Whether the message and details may be shown to the caller (node-oidc-provider's `expose`). */
  get expose(): boolean {
    // 501 describes the request (what it asked for that we lack), never our internals; a tool's
    // upstream 5xx carries the upstream's own answer, which the caller needs to act on.
    return this.statusCode < 500 || this.statusCode === 501 || this.code === 'TOOL_UPSTREAM_FAILED';
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    if (!this.expose) return { error: { code: this.code, message: ERROR_CATALOGUE[this.code][1] } };
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isToolproxyError(value: unknown): value is ToolproxyError {
  return value instanceof ToolproxyError;
}

/** One problem in a list of validation problems: where (`path`, JSON-pointer style) and what. */
export interface Problem {
  path: string;
  message: string;
}
