import type { LoadedConnection } from '../connections/connections-service.ts';
import type { AccountRow, AccountStatus } from '../store/schema.ts';

/** An account as the API shows it: never its credentials (S10). */
export interface AccountView {
  id: string;
  identifier: string;
  connection_name: string;
  connection_id: string;
  connector: string;
  status: AccountStatus;
  authorization_type: string;
  /** The reference's organization and user, when the account was created with them. */
  organization_id: string | null;
  user_id: string | null;
  api_config: Record<string, string>;
  has_credentials: boolean;
  token_expires_at: string | null;
  last_used_at: string | null;
  status_updated_at: string;
  created_at: string;
  updated_at: string;
}

export function toView(row: AccountRow, connection: LoadedConnection): AccountView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    identifier: row.identifier,
    connection_name: connection.row.name,
    connection_id: row.connection_id,
    connector: connection.connector.row.identifier,
    status: row.status,
    authorization_type: row.authorization_type,
    organization_id: row.organization_id ?? null,
    user_id: row.user_id ?? null,
    api_config: JSON.parse(row.api_config) as Record<string, string>,
    has_credentials: row.credentials !== null,
    token_expires_at: iso(row.token_expires_at),
    last_used_at: iso(row.last_used_at),
    status_updated_at: new Date(row.status_updated_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
