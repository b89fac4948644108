import { randomBytes } from 'node:crypto';
import type { Repositories } from '../../src/store/repositories.ts';
import type { ConnectionRow, ConnectorRow, NewAccountRow, NewConnectionRow, NewConnectorRow } from '../../src/store/schema.ts';

/** Epoch milliseconds well past 2^31, so a 32-bit column or parser would show. */
export const NOW = 1_760_000_000_000;

export const newId = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

export function connectorRow(overrides: Partial<NewConnectorRow> = {}): NewConnectorRow {
  const id = newId('prov');
  return {
    id,
    identifier: `acme-${id.slice(5)}`,
    display_name: 'Acme',
    description: 'Acme billing API',
    definition: '{"display_name":"Acme"}',
    origin: 'custom',
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

export function connectionRow(connectorId: string, overrides: Partial<NewConnectionRow> = {}): NewConnectionRow {
  const id = newId('conn');
  return {
    id,
    name: `acme-${id.slice(5)}`,
    connector_id: connectorId,
    auth_type: 'API_KEY',
    settings: '{}',
    secrets: null,
    enabled: 1,
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

export function accountRow(connectionId: string, identifier: string, overrides: Partial<NewAccountRow> = {}): NewAccountRow {
  return {
    id: newId('ca'),
    connection_id: connectionId,
    identifier,
    status: 'PENDING_AUTH',
    authorization_type: 'API_KEY',
    credentials: null,
    api_config: '{}',
    credentials_version: 0,
    token_expires_at: null,
    last_used_at: null,
    status_updated_at: NOW,
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

/** A connector and a connection on it, ready for accounts. */
export async function seedConnection(repos: Repositories): Promise<{ connector: ConnectorRow; connection: ConnectionRow }> {
  const connectorInput = connectorRow();
  await repos.connectors.insert(connectorInput);
  const connectionInput = connectionRow(connectorInput.id);
  if (!(await repos.connections.insert(connectionInput))) throw new Error('seed connection name taken');
  return {
    connector: (await repos.connectors.find(connectorInput.id))!,
    connection: (await repos.connections.findById(connectionInput.id))!,
  };
}

export async function seedAccount(repos: Repositories, identifier = newId('user')) {
  const { connection } = await seedConnection(repos);
  const { account } = await repos.accounts.getOrCreate(accountRow(connection.id, identifier));
  return { connection, account };
}
