import type { Clock } from '../clock.ts';
import { type ErrorCode, ToolproxyError } from '../errors.ts';
import type { LoadedMcpConfig, McpConfigsService } from './configs-service.ts';
import { MCP_SCOPES, type McpScopeName } from './scopes.ts';
import type { McpTokenClaims, McpTokenKind, McpTokenPolicy, McpTokenSigner } from './tokens.ts';

/** Who an MCP request acts for, once its token checked out. */
export interface McpPrincipal {
  kind: McpTokenKind;
  config: LoadedMcpConfig;
  identifier: string;
  scope: readonly string[];
  policy: McpTokenPolicy | null;
  expiresAt: number;
  /** OAuth access tokens: the client and its grant. */
  clientId?: string;
  grantId?: string;
  actor: { type: 'mcp_client'; id: string };
}

/** Whether an OAuth grant still stands (the authorization server revokes one on refresh-token reuse). */
export interface GrantStatus {
  isActive(grantId: string): Promise<boolean>;
}

/** The RFC 6750 §3 challenge and RFC 6749 §5.2-style body of a refused MCP request. */
export class McpAuthError extends ToolproxyError {
  readonly challenge: string;
  readonly oauthError: string | undefined;

  constructor(code: ErrorCode, challenge: string, oauthError?: string) {
    super(code);
    this.challenge = challenge;
    this.oauthError = oauthError;
  }
}

/**
 * Checks the bearer token of an MCP request (MCP 2025-11-25 basic/authorization "Token
 * Handling"): a valid MAC, not expired, issued for exactly this config's URL (RFC 8707 audience)
 * and, for OAuth access tokens, from a grant that still stands. No SQL once the config and the
 * grant's state are cached.
 */
export class McpAuthenticator {
  readonly #signer: McpTokenSigner;
  readonly #configs: McpConfigsService;
  readonly #clock: Clock;
  #grants: GrantStatus | undefined;

  constructor(deps: { signer: McpTokenSigner; configs: McpConfigsService; clock: Clock }) {
    this.#signer = deps.signer;
    this.#configs = deps.configs;
    this.#clock = deps.clock;
  }

  /** The authorization server, when there is one, vouches for its grants. */
  useGrantStatus(grants: GrantStatus): void {
    this.#grants = grants;
  }

  /** RFC 9728 §3.1: the metadata of resource `<public url>/mcp/<id>`, path inserted after the host. */
  resourceMetadataUrl(configId: string): string {
    const url = new URL(this.#configs.url(configId));
    return `${url.origin}/.well-known/oauth-protected-resource${url.pathname}`;
  }

  async authenticate(configId: string, authorization: string | undefined): Promise<McpPrincipal> {
    const challenge = (error?: { error: string; description: string; scope?: readonly string[] }) =>
      bearerChallenge(this.resourceMetadataUrl(configId), error?.scope ?? MCP_SCOPES, error);
    if (typeof authorization !== 'string' || !/^bearer +\S/i.test(authorization)) {
      // RFC 6750 §3.1: no error code when the request carried no credentials at all.
      throw new McpAuthError('MCP_TOKEN_MISSING', challenge());
    }
    const refuse = (code: ErrorCode, description: string): never => {
      throw new McpAuthError(code, challenge({ error: 'invalid_token', description }), 'invalid_token');
    };
    const claims: McpTokenClaims | undefined = this.#signer.verify(authorization.replace(/^bearer +/i, '').trim());
    if (!claims) return refuse('MCP_TOKEN_INVALID', 'The token is not valid.');
    if (claims.expiresAt <= this.#clock()) return refuse('MCP_TOKEN_EXPIRED', 'The token has expired.');
    // RFC 8707 §2 / MCP: a token is only accepted by the resource it was issued for.
    if (claims.audience !== this.#configs.url(configId) || claims.configId !== configId) {
      return refuse('MCP_TOKEN_WRONG_RESOURCE', 'The token was issued for another resource.');
    }
    const config = await this.#configs.load(configId).catch((error: unknown) => {
      if (error instanceof ToolproxyError && error.code === 'MCP_CONFIG_NOT_FOUND') return refuse('MCP_TOKEN_INVALID', 'The MCP server config of this token no longer exists.');
      throw error;
    });
    if (claims.kind === 'access') {
      if (!claims.grantId || !this.#grants || !(await this.#grants.isActive(claims.grantId))) return refuse('MCP_TOKEN_INVALID', 'The grant of this token was revoked.');
    }
    return {
      kind: claims.kind,
      config,
      identifier: claims.identifier,
      scope: claims.scope,
      policy: claims.policy,
      expiresAt: claims.expiresAt,
      ...(claims.clientId ? { clientId: claims.clientId } : {}),
      ...(claims.grantId ? { grantId: claims.grantId } : {}),
      actor: { type: 'mcp_client', id: claims.kind === 'access' ? `oauth:${claims.clientId ?? ''}` : 'session_token' },
    };
  }

  /** 403 for a request that needs a scope the token lacks (MCP "Scope Challenge Handling"). */
  insufficientScope(principal: McpPrincipal, needed: McpScopeName): McpAuthError {
    const scope = [...new Set([...principal.scope, needed])];
    return new McpAuthError(
      'MCP_INSUFFICIENT_SCOPE',
      bearerChallenge(this.resourceMetadataUrl(principal.config.id), scope, { error: 'insufficient_scope', description: `This request needs the ${needed} scope.` }),
      'insufficient_scope',
    );
  }
}

/** RFC 6750 §3 / RFC 9728 §5.1 `WWW-Authenticate: Bearer …`; our values never contain quotes or backslashes. */
export function bearerChallenge(resourceMetadata: string, scope: readonly string[], error?: { error: string; description: string }): string {
  const params = [
    ...(error ? [`error="${error.error}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`] : []),
    `resource_metadata="${resourceMetadata}"`,
    `scope="${scope.join(' ')}"`,
  ];
  return `Bearer ${params.join(', ')}`;
}
