import type { LoadedMcpConfig } from '../mcp/configs-service.ts';
import { MCP_SCOPES } from '../mcp/scopes.ts';
import { AUTH_METHODS } from './client-metadata.ts';

/** RFC 8414 §2 authorization server metadata; the issuer is the public URL. */
export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth2/authorize`,
    token_endpoint: `${issuer}/oauth2/token`,
    registration_endpoint: `${issuer}/oauth2/register`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    scopes_supported: [...MCP_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: [...AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
    // MCP clients must refuse an authorization server that does not say it does PKCE (S256).
    code_challenge_methods_supported: ['S256'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

/** RFC 9728 §2 protected resource metadata of one MCP config. */
export function protectedResourceMetadata(config: LoadedMcpConfig, issuer: string): Record<string, unknown> {
  return {
    resource: config.url,
    authorization_servers: [issuer],
    scopes_supported: [...MCP_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: config.name,
  };
}

/**
 * The root document (`/.well-known/oauth-protected-resource`): toolproxy as a whole. Each MCP
 * server is its own resource, named in its 401's `resource_metadata`; a token is always for one
 * config URL, never for this root.
 */
export function rootProtectedResourceMetadata(issuer: string): Record<string, unknown> {
  return { resource: issuer, authorization_servers: [issuer], scopes_supported: [...MCP_SCOPES], bearer_methods_supported: ['header'] };
}
