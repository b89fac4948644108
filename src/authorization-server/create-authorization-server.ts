import type { Clock } from '../clock.ts';
import type { McpServices } from '../mcp/create-mcp.ts';
import type { Store } from '../store/store.ts';
import { AuthorizationRequests } from './authorization-requests.ts';
import { ClientIdDocuments } from './client-id-documents.ts';
import { OAuthClients } from './clients.ts';
import { Grants } from './grants.ts';
import { Resources } from './resources.ts';
import { TokenEndpoint } from './token-endpoint.ts';

export interface AuthorizationServer {
  issuer: string;
  clients: OAuthClients;
  requests: AuthorizationRequests;
  tokens: TokenEndpoint;
  grants: Grants;
  resources: Resources;
  mcp: McpServices;
}

/**
 * The OAuth 2.1 authorization server MCP clients use to connect by themselves (MCP 2025-11-25
 * basic/authorization). Its access tokens are the MCP endpoint's `tpma_` tokens; the endpoint
 * asks it whether their grant still stands.
 */
export function createAuthorizationServer(deps: { store: Store; clock: Clock; mcp: McpServices; publicUrl: string; fetch: typeof fetch }): AuthorizationServer {
  const { store, clock, mcp } = deps;
  const resources = new Resources(mcp.configs);
  const clients = new OAuthClients({ store, clock, documents: new ClientIdDocuments({ fetch: deps.fetch, clock }) });
  const grants = new Grants({ store, clock });
  mcp.authenticator.useGrantStatus(grants);
  const events = (event: string) => mcp.metrics.oauth(event);
  return {
    issuer: deps.publicUrl,
    clients,
    requests: new AuthorizationRequests({ store, clock, clients, resources, accounts: mcp.accounts, issuer: deps.publicUrl }),
    tokens: new TokenEndpoint({ store, clock, clients, resources, grants, signer: mcp.signer, onEvent: events }),
    grants,
    resources,
    mcp,
  };
}
