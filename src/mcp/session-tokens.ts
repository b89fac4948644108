import { assertValidIdentifier } from '../accounts/accounts-service.ts';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import type { McpConfigsService } from './configs-service.ts';
import { MCP_SCOPES } from './scopes.ts';
import type { McpTokenSigner } from './tokens.ts';

/** Reference §6: a session token lives 60 s to 24 h, 1 h by default. */
export const SESSION_TOKEN_MIN_SECONDS = 60;
export const SESSION_TOKEN_MAX_SECONDS = 24 * 3600;
export const SESSION_TOKEN_DEFAULT_SECONDS = 3600;

export interface IssuedSessionToken {
  session_token: string;
  expires_at: string;
  identifier: string;
  mcp_server_url: string;
}

/**
 * Session tokens (reference `create_session_token`): the app mints one per agent run for one
 * config and one of its users; the agent sends it as `Authorization: Bearer`. It is returned once,
 * here, and never stored: it is verified by its MAC.
 */
export class McpSessionTokens {
  readonly #configs: McpConfigsService;
  readonly #signer: McpTokenSigner;
  readonly #clock: Clock;

  constructor(deps: { configs: McpConfigsService; signer: McpTokenSigner; clock: Clock }) {
    this.#configs = deps.configs;
    this.#signer = deps.signer;
    this.#clock = deps.clock;
  }

  async mint(configId: string, identifier: string, expirySeconds = SESSION_TOKEN_DEFAULT_SECONDS): Promise<IssuedSessionToken> {
    assertValidIdentifier(identifier);
    if (!Number.isInteger(expirySeconds) || expirySeconds < SESSION_TOKEN_MIN_SECONDS || expirySeconds > SESSION_TOKEN_MAX_SECONDS) {
      throw new ToolproxyError('VALIDATION_FAILED', {
        details: { problems: [{ path: '/expiry_seconds', message: `must be an integer from ${SESSION_TOKEN_MIN_SECONDS} to ${SESSION_TOKEN_MAX_SECONDS}` }] },
      });
    }
    const config = await this.#configs.load(configId);
    const now = this.#clock();
    const expiresAt = now + expirySeconds * 1000;
    const token = this.#signer.sign({
      kind: 'session',
      configId: config.id,
      identifier,
      audience: config.url,
      issuedAt: now,
      expiresAt,
      scope: MCP_SCOPES,
      policy: null,
    });
    return { session_token: token, expires_at: new Date(expiresAt).toISOString(), identifier, mcp_server_url: config.url };
  }
}
