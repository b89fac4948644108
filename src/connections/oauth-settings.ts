import type { TokenEndpointAuthMethod } from '../auth/oauth/oauth-client.ts';
import type { OAuthPattern } from '../connectors/definition-schema.ts';
import { type Problem, ToolproxyError } from '../errors.ts';

/** What an app sends to configure an OAuth connection (reference §2). */
export interface OAuthSettingsInput {
  client_id?: string | undefined;
  client_secret?: string | undefined;
  scopes?: string[] | undefined;
  token_endpoint_auth_method?: TokenEndpointAuthMethod | undefined;
  extra_authorize_params?: Record<string, string> | undefined;
}

/** Stored as the connection's (non-secret) settings JSON; the client secret goes to the vault. */
export interface OAuthSettings {
  client_id: string;
  scopes: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  extra_authorize_params: Record<string, string>;
}

/** Parameters the flow itself sets; an app may not override them (reference §2 "reserved OAuth params rejected"). */
const RESERVED_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'request', 'request_uri']);

export const OAUTH_SETTING_NAMES = ['client_id', 'client_secret', 'scopes', 'token_endpoint_auth_method', 'extra_authorize_params'] as const;

/**
 * Validates OAuth settings against the connector, every problem at once. `current` is the stored
 * state for an update (omitted fields keep their value; the secret is write-only).
 */
export function resolveOAuthSettings(
  pattern: OAuthPattern,
  input: OAuthSettingsInput,
  current?: { settings: OAuthSettings; hasSecret: boolean },
): { settings: OAuthSettings; clientSecret: string | undefined } {
  const problems: Problem[] = [];
  const clientId = input.client_id ?? current?.settings.client_id;
  if (!clientId || clientId.length > 512 || /[\x00-\x20\x7f]/.test(clientId)) {
    problems.push({ path: '/client_id', message: 'is required: 1-512 printable characters without spaces' });
  }
  const authMethod = input.token_endpoint_auth_method ?? current?.settings.token_endpoint_auth_method ?? pattern.oauth_config.token_endpoint_auth_method ?? 'client_secret_basic';
  const hasSecret = input.client_secret !== undefined ? input.client_secret !== '' : (current?.hasSecret ?? false);
  if (authMethod !== 'none' && !hasSecret) problems.push({ path: '/client_secret', message: `is required with ${authMethod}` });
  if (input.client_secret !== undefined && (input.client_secret.length > 2048 || /[\x00-\x1f\x7f]/.test(input.client_secret))) {
    problems.push({ path: '/client_secret', message: 'must be at most 2048 printable characters' });
  }
  const scopes = input.scopes ?? current?.settings.scopes ?? pattern.oauth_config.available_scopes.filter((s) => s.required).map((s) => s.scope);
  scopes.forEach((scope, i) => {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/.test(scope)) problems.push({ path: `/scopes/${i}`, message: 'must be a scope token (RFC 6749 §3.3)' });
  });
  const extra = input.extra_authorize_params ?? current?.settings.extra_authorize_params ?? {};
  for (const [name, value] of Object.entries(extra)) {
    if (RESERVED_PARAMS.has(name)) problems.push({ path: `/extra_authorize_params/${name}`, message: 'is set by the authorization flow and cannot be overridden' });
    else if (!/^[A-Za-z0-9._~-]{1,64}$/.test(name) || typeof value !== 'string' || value.length > 512) {
      problems.push({ path: `/extra_authorize_params/${name}`, message: 'must be a parameter name with a string value of at most 512 characters' });
    }
  }
  if (problems.length > 0) throw new ToolproxyError('VALIDATION_FAILED', { details: { problems } });
  return {
    settings: { client_id: clientId as string, scopes: [...scopes], token_endpoint_auth_method: authMethod, extra_authorize_params: { ...extra } },
    clientSecret: input.client_secret === '' ? undefined : input.client_secret,
  };
}

/** Static-auth connections take no OAuth settings; sending them is a mistake worth reporting. */
export function refuseOAuthSettings(input: OAuthSettingsInput): void {
  const given = OAUTH_SETTING_NAMES.filter((name) => input[name] !== undefined);
  if (given.length > 0) {
    throw new ToolproxyError('VALIDATION_FAILED', {
      details: { problems: given.map((name) => ({ path: `/${name}`, message: 'only applies to OAUTH connectors' })) },
    });
  }
}
