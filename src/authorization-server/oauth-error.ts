import { type ErrorCode, ToolproxyError } from '../errors.ts';

/**
 * An OAuth error of the MCP authorization server: the RFC 6749 §5.2 / RFC 7591 §3.2.2 `error`
 * string clients parse, a description, and our catalogue code (docs/errors.md).
 */
export class OAuthError extends ToolproxyError {
  readonly error: string;

  constructor(error: string, code: ErrorCode, description?: string) {
    super(code, description === undefined ? {} : { message: description });
    this.error = error;
  }

  toOAuthBody(): { error: string; error_description: string; code: ErrorCode } {
    return { error: this.error, error_description: this.message, code: this.code };
  }
}

export const invalidRequest = (description: string) => new OAuthError('invalid_request', 'MCP_OAUTH_INVALID_REQUEST', description);
export const invalidClient = (description?: string) => new OAuthError('invalid_client', 'MCP_OAUTH_INVALID_CLIENT', description);
export const invalidGrant = (description?: string) => new OAuthError('invalid_grant', 'MCP_OAUTH_INVALID_GRANT', description);
export const invalidScope = (description?: string) => new OAuthError('invalid_scope', 'MCP_OAUTH_INVALID_SCOPE', description);
export const invalidTarget = (description?: string) => new OAuthError('invalid_target', 'MCP_OAUTH_INVALID_TARGET', description);
export const invalidRedirectUri = (description?: string) => new OAuthError('invalid_redirect_uri', 'MCP_OAUTH_INVALID_REDIRECT_URI', description);
export const invalidClientMetadata = (description: string) => new OAuthError('invalid_client_metadata', 'MCP_OAUTH_INVALID_CLIENT_METADATA', description);
