import type { OAuthClient } from '../auth/oauth/oauth-client.ts';
import type { OAuthCredentials } from '../auth/oauth/token-set.ts';
import type { LoadedConnection } from '../connections/connections-service.ts';
import type { AccountRow } from '../store/schema.ts';
import type { Vault } from '../vault/vault.ts';
import { credentialsBinding } from './accounts-service.ts';

/**
 * O17 / RFC 7009: when an OAUTH account is deleted, revoke its grant at the provider (the refresh
 * token, which revokes the grant; else the access token). Local deletion never waits for it;
 * a failure is logged, never raised. (No retry outbox yet: a 503 from the provider is logged.)
 */
export function createOAuthRevoker(deps: {
  vault: Vault;
  clientFor: (connection: LoadedConnection) => OAuthClient;
  onError: (error: unknown, accountId: string) => void;
}) {
  return (row: AccountRow, connection: LoadedConnection): void => {
    const { pattern } = connection.connector;
    if (pattern.type !== 'OAUTH' || !pattern.oauth_config.revoke_uri || row.credentials === null) return;
    const revoke = async () => {
      const credentials = deps.vault.decryptJson<OAuthCredentials>(row.credentials as string, credentialsBinding(row.id));
      const client = deps.clientFor(connection);
      if (credentials.refresh_token) await client.revoke(credentials.refresh_token, 'refresh_token');
      else await client.revoke(credentials.access_token, 'access_token');
    };
    revoke().catch((error: unknown) => deps.onError(error, row.id));
  };
}
