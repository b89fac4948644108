import { parseScope } from '../mcp/scopes.ts';
import { invalidClientMetadata, invalidRedirectUri } from './oauth-error.ts';

/** How a client authenticates at the token endpoint (RFC 7591 §2). */
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';
export const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];

/** The client metadata this server keeps and shows (RFC 7591 §2); anything else sent is ignored. */
export interface ClientMetadata {
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scope?: string;
  software_id?: string;
  software_version?: string;
}

const MAX_REDIRECT_URIS = 10;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * MCP basic/authorization "Communication Security": a redirect URI is https, or http on a
 * loopback host (RFC 8252 §7.3); absolute, without a fragment (RFC 6749 §3.1.2) or userinfo.
 * Compared to registered ones by exact string match.
 */
export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return 'must be a URL of at most 2048 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https, or http on a loopback host (127.0.0.1, [::1], localhost)';
}

/** Whether `value` may be shown as a link on the consent page: https only. */
function httpsUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Validates client metadata from a registration request (RFC 7591 §2) or a client ID metadata
 * document, applying the RFC's defaults. `documentClient`: a metadata-document client is public
 * (it has nowhere to keep a secret) and must name itself.
 */
export function validateClientMetadata(input: unknown, options: { documentClient: boolean }): ClientMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidClientMetadata('The client metadata must be a JSON object.');
  const body = input as Record<string, unknown>;
  const uris = body.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS) {
    throw invalidRedirectUri(`redirect_uris must list 1 to ${MAX_REDIRECT_URIS} URIs.`);
  }
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw invalidRedirectUri(`redirect_uris: "${String(uri).slice(0, 100)}" ${problem}.`);
  }
  const text = (name: string, max: number): string | undefined => {
    const value = body[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) throw invalidClientMetadata(`${name} must be a string of at most ${max} printable characters.`);
    return value;
  };
  const clientName = text('client_name', 200);
  if (options.documentClient && !clientName) throw invalidClientMetadata('A client ID metadata document must have a client_name.');
  const method = body.token_endpoint_auth_method ?? (options.documentClient ? 'none' : 'client_secret_basic');
  if (!AUTH_METHODS.includes(method as TokenEndpointAuthMethod) || (options.documentClient && method !== 'none')) {
    throw invalidClientMetadata(`token_endpoint_auth_method must be ${options.documentClient ? 'none for a metadata document client' : AUTH_METHODS.join(', ')}.`);
  }
  const grantTypes = listOf(body.grant_types, ['authorization_code'], 'grant_types', ['authorization_code', 'refresh_token']);
  if (!grantTypes.includes('authorization_code')) throw invalidClientMetadata('grant_types must include authorization_code.');
  const responseTypes = listOf(body.response_types, ['code'], 'response_types', ['code']);
  const scope = text('scope', 200);
  if (scope !== undefined && !parseScope(scope)) throw invalidClientMetadata('scope names an unknown scope.');
  for (const name of ['client_uri', 'logo_uri']) {
    if (body[name] !== undefined && !httpsUrl(body[name])) throw invalidClientMetadata(`${name} must be an https URL.`);
  }
  return {
    ...(clientName ? { client_name: clientName } : {}),
    ...(body.client_uri ? { client_uri: body.client_uri as string } : {}),
    ...(body.logo_uri ? { logo_uri: body.logo_uri as string } : {}),
    redirect_uris: uris as string[],
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: method as TokenEndpointAuthMethod,
    ...(scope ? { scope } : {}),
    ...(text('software_id', 200) ? { software_id: text('software_id', 200)! } : {}),
    ...(text('software_version', 100) ? { software_version: text('software_version', 100)! } : {}),
  };
}

function listOf(value: unknown, fallback: string[], name: string, allowed: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && allowed.includes(v))) {
    throw invalidClientMetadata(`${name} must list only ${allowed.join(', ')}.`);
  }
  return [...new Set(value as string[])];
}
