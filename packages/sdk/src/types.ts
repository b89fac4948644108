/**
 * Resources as the SDK returns them: the API's JSON with camelCase names and `Date`s. Connector
 * definitions are the exception: they are your own documents and keep the API's field names
 * (`display_name`, `auth_patterns`, …) so they round-trip unchanged.
 */

export type AccountStatus = 'ACTIVE' | 'EXPIRED' | 'PENDING_AUTH' | 'PENDING_VERIFICATION' | 'DISCONNECTED';

export interface ConnectedAccount {
  id: string;
  identifier: string;
  connectionName: string;
  connectionId: string;
  /** Identifier of the connector behind the connection. */
  connector: string;
  status: AccountStatus;
  authorizationType: string;
  /** The reference's organization and user, when the account was created with them. */
  organizationId: string | null;
  userId: string | null;
  /** Non-secret per-account values (template fields such as `domain`). Credentials are never returned. */
  apiConfig: Record<string, string>;
  hasCredentials: boolean;
  tokenExpiresAt: Date | null;
  lastUsedAt: Date | null;
  statusUpdatedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Connection {
  id: string;
  /** The `connectionName` every call passes. */
  name: string;
  connector: string;
  connectorId: string;
  /** OAUTH, BASIC, BEARER or API_KEY. */
  type: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** A connector definition, as documented in the server's connector schema. */
export interface ConnectorDefinition {
  display_name: string;
  description?: string;
  proxy_url: string;
  proxy_enabled?: boolean;
  auth_patterns: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

export interface Connector {
  id: string;
  identifier: string;
  displayName: string;
  isCustom: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** The validated definition, defaults applied, without the read-only fields above. */
  definition: ConnectorDefinition;
  /**
   * Only on what `create`, `replace` and `apply` return: what the saved definition will run into
   * when used, e.g. `UPSTREAM_ADDRESS_FORBIDDEN` for a loopback or private `proxy_url` the
   * server's egress policy refuses to call. The connector was saved all the same.
   */
  warnings?: ConnectorWarning[];
}

export interface ConnectorWarning {
  /** The error code a call will meet. */
  code: string;
  /** JSON pointer of the field (`/proxy_url`). */
  path: string;
  message: string;
}

export interface ApiClient {
  clientId: string;
  name: string;
  isBootstrap: boolean;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Credentials in the reference's shape: `{ staticAuth: { details: { api_key: '…' } } }`. */
export interface AuthorizationDetails {
  staticAuth: { details: Record<string, string> };
}

/** Which account: by id, or by connection name and identifier (as the reference accepts). */
export type AccountRef = { connectedAccountId: string } | { connectionName: string; identifier: string };

type Wire = Record<string, any>;

const date = (value: unknown): Date => new Date(value as string);
const optionalDate = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

export function toConnectedAccount(wire: Wire): ConnectedAccount {
  return {
    id: wire.id,
    identifier: wire.identifier,
    connectionName: wire.connection_name,
    connectionId: wire.connection_id,
    connector: wire.connector,
    status: wire.status,
    authorizationType: wire.authorization_type,
    organizationId: wire.organization_id ?? null,
    userId: wire.user_id ?? null,
    apiConfig: wire.api_config ?? {},
    hasCredentials: wire.has_credentials === true,
    tokenExpiresAt: optionalDate(wire.token_expires_at),
    lastUsedAt: optionalDate(wire.last_used_at),
    statusUpdatedAt: date(wire.status_updated_at),
    createdAt: date(wire.created_at),
    updatedAt: date(wire.updated_at),
  };
}

export function toConnection(wire: Wire): Connection {
  return {
    id: wire.id,
    name: wire.name,
    connector: wire.connector,
    connectorId: wire.connector_id,
    type: wire.type,
    enabled: wire.enabled === true,
    settings: wire.settings ?? {},
    createdAt: date(wire.created_at),
    updatedAt: date(wire.updated_at),
  };
}

const CONNECTOR_READ_ONLY = ['id', 'identifier', 'is_custom', 'created_at', 'updated_at'];

export function toConnector(wire: Wire): Connector {
  const definition: Wire = { ...wire };
  for (const key of CONNECTOR_READ_ONLY) delete definition[key];
  return {
    id: wire.id,
    identifier: wire.identifier,
    displayName: wire.display_name,
    isCustom: wire.is_custom === true,
    createdAt: date(wire.created_at),
    updatedAt: date(wire.updated_at),
    definition: definition as ConnectorDefinition,
  };
}

export function toApiClient(wire: Wire): ApiClient {
  return {
    clientId: wire.client_id,
    name: wire.name,
    isBootstrap: wire.is_bootstrap === true,
    createdAt: date(wire.created_at),
    revokedAt: optionalDate(wire.revoked_at),
  };
}

export function toWireDetails(details: AuthorizationDetails): { static_auth: { details: Record<string, string> } } {
  if (!details?.staticAuth || typeof details.staticAuth.details !== 'object') {
    throw new TypeError('authorizationDetails must be { staticAuth: { details: { field_name: value } } }');
  }
  return { static_auth: { details: details.staticAuth.details } };
}
