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

  // App (API client) authentication
  UNAUTHENTICATED: [401, 'Send a valid bearer token from POST /oauth/token in the Authorization header.'],
  TOKEN_EXPIRED: [401, 'The access token has expired. Request a new one from POST /oauth/token.'],
  INVALID_CLIENT: [401, 'Unknown client_id or wrong client_secret.'],
  UNSUPPORTED_GRANT_TYPE: [400, 'Only grant_type=client_credentials is supported.'],

  // Connectors
  CONNECTOR_NOT_FOUND: [404, 'No connector with this identifier.'],
  CONNECTOR_INVALID: [422, 'The connector definition is invalid; see details for every problem.'],
  CONNECTOR_IN_USE: [409, 'The connector is used by connections. Delete them first.'],
  CONNECTOR_TEMPLATE_ERROR: [409, "The connector's proxy_url cannot be rendered for this account: a template field is missing or invalid. Send the user a new authorization link."],

  // Connections
  CONNECTION_NOT_FOUND: [404, 'No connection with this name.'],
  CONNECTION_EXISTS: [409, 'A connection with this name already exists.'],
  CONNECTION_IN_USE: [409, 'The connection has connected accounts. Delete them first.'],
  CONNECTION_DISABLED: [409, 'The connection is disabled. Enable it to use its accounts.'],

  // Connected accounts
  ACCOUNT_NOT_FOUND: [404, 'No connected account for this connection and identifier.'],
  ACCOUNT_EXISTS: [409, 'A connected account for this connection and identifier already exists.'],
  ACCOUNT_NOT_ACTIVE: [409, 'The connected account is not active. Send the user an authorization link (POST /api/v1/connected_accounts/magic_link).'],
  INVALID_FIELD: [422, 'A credential or account field is invalid; see details.'],
  CREDENTIALS_UNREADABLE: [500, 'Stored credentials could not be decrypted.'],

  // Authorization links and hosted pages
  LINK_INVALID: [404, 'This authorization link is not valid.'],
  LINK_EXPIRED: [410, 'This authorization link has expired. Ask for a new one.'],
  LINK_USED: [410, 'This authorization link has already been used. Ask for a new one.'],
  VERIFICATION_FAILED: [422, 'The upstream API refused these credentials.'],

  // Tool Proxy
  MISSING_ROUTING_HEADERS: [400, 'Send the connection_name and identifier headers with every proxy call.'],
  INVALID_PATH: [400, 'The path must stay inside the connector proxy_url; see details.'],
  INVALID_HEADER: [400, 'A request header name or value is not allowed; see details.'],
  INVALID_METHOD: [400, 'This HTTP method cannot be proxied.'],
  PROXY_DISABLED: [409, 'The connector has proxy_enabled set to false.'],
  UPSTREAM_UNREACHABLE: [502, 'The upstream API could not be reached.'],
  UPSTREAM_TIMEOUT: [504, 'The upstream API did not answer in time.'],
  UPSTREAM_ERROR: [502, 'The upstream API sent an invalid response.'],

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
    return this.statusCode < 500;
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
