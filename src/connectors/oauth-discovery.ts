import { isLoopbackHttp } from '../auth/oauth/oauth-client.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import type { ConnectorDefinition } from './definition-schema.ts';

/** What discovery fills in, from the issuer's metadata (RFC 8414 §2). */
export interface DiscoveredEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
}

export interface DiscoveryOptions {
  /** The egress-guarded fetch (Forwarder.fetch): metadata is fetched like any other outbound call. */
  fetch: typeof fetch;
  timeoutMs: number;
}

/** A metadata document is a few kilobytes; anything this large is not one. */
const MAX_METADATA_BYTES = 256 * 1024;
const ISSUER_PATH = '/auth_patterns/0/oauth_config/issuer';

/**
 * RFC 8414 §3.1: the well-known suffix goes between the host and the issuer's path; OpenID
 * Connect Discovery 1.0 §4 appends it to the issuer. Tried in that order (RFC 8414 §5).
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path}/.well-known/openid-configuration`];
}

/**
 * Fetches and validates the authorization server metadata of `issuer`. Its `issuer` must equal
 * the configured one exactly, or the document must not be used (RFC 8414 §3.3: a mix-up
 * defence); https only, but for loopback http in tests and development (as for token calls).
 * Throws OAUTH_DISCOVERY_FAILED naming what went wrong.
 */
export async function discoverEndpoints(issuer: string, options: DiscoveryOptions): Promise<DiscoveredEndpoints> {
  const failed = (message: string, cause?: unknown) =>
    new ToolproxyError('OAUTH_DISCOVERY_FAILED', { details: { problems: [{ path: ISSUER_PATH, message }] satisfies Problem[] }, cause });
  let parsed: URL;
  try {
    parsed = new URL(issuer);
  } catch (error) {
    throw failed('is not a URL', error);
  }
  if (parsed.protocol !== 'https:' && !isLoopbackHttp(issuer)) throw failed('must be an https URL to be discovered (RFC 8414 §2)');
  if (parsed.search !== '' || parsed.hash !== '') throw failed('must have no query or fragment (RFC 8414 §2)');

  const tried: string[] = [];
  for (const url of metadataUrls(issuer)) {
    const document = await fetchJson(url, options).catch((error: unknown) => {
      throw failed(`its metadata could not be fetched from ${url} (${(error as Error).message})`, error);
    });
    if (document === undefined) {
      tried.push(url);
      continue;
    }
    if (document['issuer'] !== issuer) {
      throw failed(`the metadata at ${url} names the issuer ${JSON.stringify(document['issuer'])}, not ${JSON.stringify(issuer)}; it must match exactly (RFC 8414 §3.3)`);
    }
    const endpoint = (name: string, required: boolean): string | undefined => {
      const value = document[name];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw failed(`the metadata at ${url} has no usable ${name}`);
      return value;
    };
    const revocation = endpoint('revocation_endpoint', false);
    return {
      authorization_endpoint: endpoint('authorization_endpoint', true)!,
      token_endpoint: endpoint('token_endpoint', true)!,
      ...(revocation ? { revocation_endpoint: revocation } : {}),
    };
  }
  throw failed(`has no metadata at ${tried.join(' or ')}`);
}

/** The JSON object at `url`, or undefined when there is none (any status but 200). */
async function fetchJson(url: string, options: DiscoveryOptions): Promise<Record<string, unknown> | undefined> {
  const response = await options.fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs) });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const text = await response.text();
  if (text.length > MAX_METADATA_BYTES) throw new Error('the document is too large');
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the document is not a JSON object');
  return value as Record<string, unknown>;
}

/**
 * The definition with its OAUTH endpoints filled from the issuer where the author left them out
 * (each given one is kept as written). Other definitions come back unchanged.
 */
export async function withDiscoveredEndpoints(definition: ConnectorDefinition, options: DiscoveryOptions | undefined): Promise<ConnectorDefinition> {
  const [pattern] = definition.auth_patterns;
  if (pattern?.type !== 'OAUTH') return definition;
  const config = pattern.oauth_config;
  if (config.authorize_uri && config.token_uri) return definition;
  if (!config.issuer) return definition; // refused by the definition rules already
  if (!options) throw new ToolproxyError('OAUTH_DISCOVERY_FAILED', { message: 'This server cannot discover endpoints; give authorize_uri and token_uri.' });
  const found = await discoverEndpoints(config.issuer, options);
  const filled = {
    ...config,
    authorize_uri: config.authorize_uri ?? found.authorization_endpoint,
    token_uri: config.token_uri ?? found.token_endpoint,
    ...(config.revoke_uri || !found.revocation_endpoint ? {} : { revoke_uri: found.revocation_endpoint }),
  };
  return { ...definition, auth_patterns: [{ ...pattern, oauth_config: filled }] };
}
