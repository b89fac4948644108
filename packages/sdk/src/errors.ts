import type { ProxyResponse } from './proxy-response.ts';

/**
 * The server's stable error codes (docs/errors.md). Match on `code`, never on the class or the
 * message. The union stays open (`string & {}`) so a newer server's codes still type-check.
 */
export const SERVER_ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'ROUTE_NOT_FOUND',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'INVALID_CLIENT',
  'UNSUPPORTED_GRANT_TYPE',
  'CLIENT_NOT_FOUND',
  'LAST_ACTIVE_CLIENT',
  'CONNECTOR_NOT_FOUND',
  'CONNECTOR_INVALID',
  'CONNECTOR_IN_USE',
  'CONNECTOR_BUILT_IN',
  'CONNECTOR_TEMPLATE_ERROR',
  'CONNECTION_NOT_FOUND',
  'CONNECTION_EXISTS',
  'CONNECTION_IN_USE',
  'CONNECTION_DISABLED',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_EXISTS',
  'ACCOUNT_NOT_ACTIVE',
  'ACCOUNT_EXPIRED',
  'ACCOUNT_DISCONNECTED',
  'INVALID_IDENTIFIER',
  'INVALID_FIELD',
  'CREDENTIALS_UNREADABLE',
  'LINK_INVALID',
  'LINK_EXPIRED',
  'LINK_USED',
  'LINK_SUPERSEDED',
  'VERIFICATION_FAILED',
  'REDIRECT_URL_NOT_ALLOWED',
  'OAUTH_STATE_INVALID',
  'OAUTH_ACCESS_DENIED',
  'OAUTH_PROVIDER_ERROR',
  'OAUTH_CLIENT_REJECTED',
  'OAUTH_PROVIDER_UNAVAILABLE',
  'USER_VERIFICATION_MISMATCH',
  'AUTH_REQUEST_NOT_FOUND',
  'MISSING_ROUTING_HEADERS',
  'INVALID_PATH',
  'INVALID_HEADER',
  'INVALID_METHOD',
  'PROXY_DISABLED',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_ERROR',
  'APPROVAL_REQUIRED',
  'APPROVAL_DENIED',
  'APPROVAL_NOT_FOUND',
  'APPROVAL_EXPIRED',
  'APPROVAL_ALREADY_DECIDED',
  'APPROVAL_USED',
  'APPROVAL_PENDING',
  'TOOL_NOT_FOUND',
  'TOOL_INVALID',
  'TOOL_EXISTS',
  'TOOL_BUILT_IN',
  'TOOL_INPUT_INVALID',
  'OPENAPI_INVALID',
  'OPENAPI_TOO_LARGE',
  'OPENAPI_FETCH_FAILED',
  'MCP_CONFIG_NOT_FOUND',
  'MCP_CONFIG_EXISTS',
  'MCP_CONFIG_INVALID',
  'POLICY_INVALID',
  'POLICY_WIDENS',
  'POLICY_DENIED',
  'RATE_LIMITED',
  'NOT_SUPPORTED',
  'AUDIT_UNAVAILABLE',
  'AUDIT_RANGE_INVALID',
  'STORE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** Codes the SDK itself raises, for failures that never got an answer from the server. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'UNEXPECTED_RESPONSE' | 'UPSTREAM_HTTP_ERROR';

export type ErrorCode = ServerErrorCode | ClientErrorCode | (string & {});

/** Every error this SDK throws (except an `AbortError` from your own `signal`) is one of these. */
export class ToolproxyError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolproxyError';
    this.code = code;
  }
}

/**
 * The server refused the call: its `{ error: { code, message, details } }` body, with the HTTP
 * status. On the Tool Proxy this is only raised for responses that carry `x-toolproxy-error`,
 * never for the upstream API's own statuses.
 */
export class ToolproxyApiError extends ToolproxyError {
  readonly status: number;
  readonly details: unknown;

  constructor(status: number, code: ErrorCode, message: string, details?: unknown) {
    super(code, message);
    this.name = 'ToolproxyApiError';
    this.status = status;
    this.details = details;
  }

  /** Validation problems (`details.problems`), when the server listed any. */
  get problems(): Array<{ path: string; message: string }> {
    const problems = (this.details as { problems?: unknown } | undefined)?.problems;
    return Array.isArray(problems) ? (problems as Array<{ path: string; message: string }>) : [];
  }
}

/** The server could not be reached (DNS, refused connection, reset). `cause` has the detail. */
export class ToolproxyConnectionError extends ToolproxyError {
  constructor(message: string, cause: unknown) {
    super('NETWORK_ERROR', message, { cause });
    this.name = 'ToolproxyConnectionError';
  }
}

/** The call took longer than its `timeoutMs`. */
export class ToolproxyTimeoutError extends ToolproxyError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('TIMEOUT', `The call did not complete within ${timeoutMs} ms.`);
    this.name = 'ToolproxyTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Raised by `actions.request` only with `throwOnError: true`, when the upstream API answered
 * with a status outside 200–299. The full response (status, headers, parsed body) is attached.
 */
export class UpstreamHttpError extends ToolproxyError {
  readonly status: number;
  readonly response: ProxyResponse;

  constructor(response: ProxyResponse) {
    super('UPSTREAM_HTTP_ERROR', `The upstream API answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`);
    this.name = 'UpstreamHttpError';
    this.status = response.status;
    this.response = response;
  }
}

/**
 * `executeTool` was refused or the tool's upstream call failed: every error answer of
 * `POST /api/v1/execute_tool` (TOOL_INPUT_INVALID, TOOL_NOT_FOUND, ACCOUNT_NOT_ACTIVE,
 * TOOL_UPSTREAM_REJECTED, TOOL_UPSTREAM_FAILED, …). Match on `code`; the subclasses name the
 * failures an agent reacts to differently, like the reference SDK's `ScalekitTool…Exception`s.
 */
export class ToolExecutionError extends ToolproxyApiError {
  readonly toolName: string;
  /** The run's id (`ex_…`, as the request log shows it) when the server started one, else null. */
  readonly executionId: string | null;

  constructor(status: number, code: ErrorCode, message: string, details: unknown, toolName: string) {
    super(status, code, message, details);
    this.name = 'ToolExecutionError';
    this.toolName = toolName;
    const id = (details as { execution_id?: unknown } | undefined)?.execution_id;
    this.executionId = typeof id === 'string' ? id : null;
  }

  /** The upstream API's status when it answered the tool call with an error (`details.status`), else null. */
  get upstreamStatus(): number | null {
    const status = (this.details as { status?: unknown } | undefined)?.status;
    return typeof status === 'number' ? status : null;
  }

  /** The upstream API's answer (`details.body`), when it answered with an error. */
  get upstreamBody(): unknown {
    return (this.details as { body?: unknown } | undefined)?.body;
  }
}

/**
 * The upstream API refused the user's credentials (`TOOL_UNAUTHORIZED`, its 401): the
 * authorization was revoked or no longer covers the call. Send the user a new authorization link
 * (`actions.getAuthorizationLink`).
 */
export class ToolUnauthorizedError extends ToolExecutionError {
  constructor(status: number, code: ErrorCode, message: string, details: unknown, toolName: string) {
    super(status, code, message, details, toolName);
    this.name = 'ToolUnauthorizedError';
  }

  /** The server's `details.authorization_link`: how to get a new link (the call to make), when it gave one. */
  get authorizationLink(): string | null {
    const link = (this.details as { authorization_link?: unknown } | undefined)?.authorization_link;
    return typeof link === 'string' ? link : null;
  }
}

/** `TOOL_FORBIDDEN`: the upstream API answered 403, the account lacks a permission or scope the tool needs. */
export class ToolForbiddenError extends ToolExecutionError {
  constructor(status: number, code: ErrorCode, message: string, details: unknown, toolName: string) {
    super(status, code, message, details, toolName);
    this.name = 'ToolForbiddenError';
  }
}

/** 429: the upstream API (`TOOL_RATE_LIMITED`) or a toolproxy limit asks to wait. Never retried by the SDK. */
export class ToolRateLimitError extends ToolExecutionError {
  /** Seconds to wait, from `Retry-After` (or `details.retry_after_seconds`), when given. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: ErrorCode, message: string, details: unknown, toolName: string, retryAfterSeconds: number | null) {
    super(status, code, message, details, toolName);
    this.name = 'ToolRateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Refusals of the app's own token: not about the tool, so they stay plain `ToolproxyApiError`s. */
const APP_AUTH_CODES = new Set(['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'INVALID_CLIENT', 'UNEXPECTED_RESPONSE']);

/** The typed error for a non-2xx answer of `POST /api/v1/execute_tool`. */
export function toolErrorFrom(status: number, body: unknown, headers: Headers, toolName: string): ToolproxyApiError {
  const base = apiErrorFrom(status, body);
  if (APP_AUTH_CODES.has(base.code)) return base;
  const args = [status, base.code, base.message, base.details, toolName] as const;
  if (base.code === 'TOOL_UNAUTHORIZED') return new ToolUnauthorizedError(...args);
  if (base.code === 'TOOL_FORBIDDEN') return new ToolForbiddenError(...args);
  if (base.code === 'TOOL_RATE_LIMITED' || status === 429) return new ToolRateLimitError(...args, retryAfter(headers, base.details));
  return new ToolExecutionError(...args);
}

function retryAfter(headers: Headers, details: unknown): number | null {
  const header = headers.get('retry-after')?.trim();
  if (header) {
    if (/^\d+$/.test(header)) return Number(header);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  const value = (details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  return typeof value === 'number' && value >= 0 ? value : null;
}

/** Builds the error for a non-2xx answer of ours from its body (management API or token endpoint). */
export function apiErrorFrom(status: number, body: unknown): ToolproxyApiError {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof code === 'string') return new ToolproxyApiError(status, code, typeof message === 'string' ? message : code, details);
  }
  // POST /oauth/token answers in the RFC 6749 §5.2 shape, with our code next to it.
  const oauth = body as { error?: unknown; error_description?: unknown; code?: unknown } | undefined;
  if (oauth && typeof oauth.error === 'string') {
    const code = typeof oauth.code === 'string' ? oauth.code : oauth.error.toUpperCase();
    return new ToolproxyApiError(status, code, typeof oauth.error_description === 'string' ? oauth.error_description : oauth.error);
  }
  return new ToolproxyApiError(status, 'UNEXPECTED_RESPONSE', `The server answered ${status} without a toolproxy error body (is the URL right?).`);
}
