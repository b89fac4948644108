import { assertValidIdentifier } from '../accounts/accounts-service.ts';
import type { Clock } from '../clock.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import { parsePolicy } from '../policy/validate-policy.ts';
import type { McpConfigsService } from './configs-service.ts';
import { MCP_SCOPES } from './scopes.ts';
import type { McpTokenPolicy, McpTokenSigner } from './tokens.ts';

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

  /** `policy` (optional): the token's own narrowing layer, validated as a policy document (POLICY_INVALID). */
  async mint(configId: string, identifier: string, expirySeconds = SESSION_TOKEN_DEFAULT_SECONDS, policy?: unknown): Promise<IssuedSessionToken> {
    assertValidIdentifier(identifier);
    const narrowing = policy === undefined || policy === null ? null : tokenPolicy(policy);
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
      policy: narrowing,
    });
    return { session_token: token, expires_at: new Date(expiresAt).toISOString(), identifier, mcp_server_url: config.url };
  }
}

/** The token carries its policy (it is never stored), so it is kept small: a token is at most 4 KiB. */
const MAX_TOKEN_POLICY_BYTES = 1024;

function tokenPolicy(value: unknown): McpTokenPolicy {
  let document: McpTokenPolicy;
  try {
    document = parsePolicy(value);
  } catch (error) {
    // The same problems, named where they are in this request's body.
    const problems = ((error as { details?: { problems?: Problem[] } }).details?.problems ?? []).map((p) => ({ ...p, path: `/policy${p.path}` }));
    throw new ToolproxyError('POLICY_INVALID', { details: { problems } });
  }
  if (Buffer.byteLength(JSON.stringify(document)) > MAX_TOKEN_POLICY_BYTES) {
    throw new ToolproxyError('POLICY_INVALID', { details: { problems: [{ path: '/policy', message: `must be at most ${MAX_TOKEN_POLICY_BYTES} bytes as JSON: a session token carries it` }] } });
  }
  return document;
}
