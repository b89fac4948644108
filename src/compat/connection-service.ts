import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ConnectionsService, ConnectionView } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import { ConnectionProvider, type ConnectionService, ConnectionStatus, ConnectionType } from './descriptors.ts';
import { given, pageSize, refuseUnsupported } from './request-fields.ts';

const CONNECTION_TYPES: Readonly<Record<string, ConnectionType>> = {
  OAUTH: ConnectionType.OAUTH,
  API_KEY: ConnectionType.API_KEY,
  BASIC: ConnectionType.BASIC,
  BEARER: ConnectionType.BEARER,
};

/**
 * `scalekit.v1.connections.ConnectionService/ListAppConnections` (the SDK's
 * `actions.listConnections`). The SDK reads `key_id` as the connection name and `provider_key`
 * as the provider; ours are the connection name and the connector identifier. Every connector
 * here is brought by the operator, hence provider CUSTOM; a stored connection is COMPLETED.
 */
export function connectionService(connections: ConnectionsService): Partial<ServiceImpl<typeof ConnectionService>> {
  return {
    async listAppConnections(req) {
      refuseUnsupported({ query: req.query }, 'List all connections, or filter by provider (the connector identifier).');
      let page: { items: ConnectionView[]; nextPageToken: string | null };
      try {
        page = await connections.list(
          { pageSize: pageSize(req.pageSize, 100, 30), pageToken: given(req.pageToken) ? req.pageToken : null },
          { connector: given(req.provider) ? req.provider : undefined },
        );
      } catch (error) {
        // A filter that matches nothing is an empty list, not an error.
        if (error instanceof ToolproxyError && error.code === 'CONNECTOR_NOT_FOUND') page = { items: [], nextPageToken: null };
        else throw error;
      }
      return {
        connections: page.items.map((view) => ({
          id: view.id,
          provider: ConnectionProvider.CUSTOM,
          type: CONNECTION_TYPES[view.type] ?? ConnectionType.INVALID,
          status: ConnectionStatus.COMPLETED,
          enabled: view.enabled,
          providerKey: view.connector,
          keyId: view.name,
          createdAt: timestampFromMs(Date.parse(view.created_at)),
        })),
        nextPageToken: page.nextPageToken ?? '',
        prevPageToken: '',
        totalSize: page.items.length,
      };
    },
  };
}
