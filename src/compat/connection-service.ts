import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ConnectionsService, ConnectionView } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import { ConnectionProvider, type ConnectionService, ConnectionStatus, ConnectionType } from './descriptors.ts';
import { given, pageSize } from './request-fields.ts';

const CONNECTION_TYPES: Readonly<Record<string, ConnectionType>> = {
  OAUTH: ConnectionType.OAUTH,
  API_KEY: ConnectionType.API_KEY,
  BASIC: ConnectionType.BASIC,
  BEARER: ConnectionType.BEARER,
};

/**
 * The reference's `ConnectionProvider` enum names identity providers; the built-in connectors it
 * has a value for are reported with it, other built-ins as UNSPECIFIED and custom ones as CUSTOM.
 * `provider_key` (what the SDK shows as `provider`) is always the connector identifier.
 */
const BUILT_IN_PROVIDERS: Readonly<Record<string, ConnectionProvider>> = {
  github: ConnectionProvider.GITHUB,
  gitlab: ConnectionProvider.GITLAB,
  salesforce: ConnectionProvider.SALESFORCE,
  gmail: ConnectionProvider.GOOGLE,
  'google-calendar': ConnectionProvider.GOOGLE,
  'google-drive': ConnectionProvider.GOOGLE,
  'microsoft-graph': ConnectionProvider.MICROSOFT,
};

function providerOf(view: ConnectionView): ConnectionProvider {
  if (!view.built_in) return ConnectionProvider.CUSTOM;
  return BUILT_IN_PROVIDERS[view.connector] ?? ConnectionProvider.CONNECTION_PROVIDER_UNSPECIFIED;
}

/**
 * Whether the connection can authorize accounts: static-auth connections need nothing more; an
 * OAUTH one needs its client id (else DRAFT) and, unless it authenticates with `none`, its client
 * secret (else IN_PROGRESS). Enabled or not is `enabled`.
 */
export function connectionStatus(view: ConnectionView): ConnectionStatus {
  if (view.type !== 'OAUTH') return ConnectionStatus.COMPLETED;
  const settings = view.settings as { client_id?: unknown; has_client_secret?: unknown; token_endpoint_auth_method?: unknown };
  if (typeof settings.client_id !== 'string' || settings.client_id === '') return ConnectionStatus.DRAFT;
  if (settings.token_endpoint_auth_method !== 'none' && settings.has_client_secret !== true) return ConnectionStatus.IN_PROGRESS;
  return ConnectionStatus.COMPLETED;
}

/**
 * `scalekit.v1.connections.ConnectionService/ListAppConnections` (the SDK's
 * `actions.listConnections`). The SDK reads `key_id` as the connection name and `provider_key`
 * as the provider; ours are the connection name and the connector identifier. `provider` is
 * matched exactly or lower-cased (`STRIPE` finds the built-in `stripe`); `query` is a
 * case-insensitive substring of the connection name or connector identifier.
 */
export function connectionService(connections: ConnectionsService): Partial<ServiceImpl<typeof ConnectionService>> {
  return {
    async listAppConnections(req) {
      let page: { items: ConnectionView[]; nextPageToken: string | null; totalSize?: number };
      try {
        const connector = given(req.provider) ? (await connections.connector(req.provider)).row.id : undefined;
        page = await connections.list(
          { pageSize: pageSize(req.pageSize, 100, 30), pageToken: given(req.pageToken) ? req.pageToken : null },
          { connector, query: given(req.query) ? req.query : undefined },
        );
      } catch (error) {
        // A filter that matches nothing is an empty list, not an error.
        if (error instanceof ToolproxyError && error.code === 'CONNECTOR_NOT_FOUND') page = { items: [], nextPageToken: null, totalSize: 0 };
        else throw error;
      }
      return {
        connections: page.items.map((view) => ({
          id: view.id,
          provider: providerOf(view),
          type: CONNECTION_TYPES[view.type] ?? ConnectionType.INVALID,
          status: connectionStatus(view),
          enabled: view.enabled,
          providerKey: view.connector,
          keyId: view.name,
          createdAt: timestampFromMs(Date.parse(view.created_at)),
        })),
        nextPageToken: page.nextPageToken ?? '',
        prevPageToken: '',
        totalSize: page.totalSize ?? page.items.length,
      };
    },
  };
}
