import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { type Timestamp, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AccountView } from '../accounts/accounts-service.ts';
import {
  type AuthorizationDetails,
  type AuthorizationDetailsSchema,
  type ConnectedAccountForListSchema,
  type ConnectedAccountSchema,
  ConnectorStatus,
  ConnectorType,
} from './descriptors.ts';
import { refuseUnsupported } from './request-fields.ts';

/** Our auth types as the reference's `ConnectorType` (BEARER is its BEARER_TOKEN). */
const AUTHORIZATION_TYPES: Readonly<Record<string, ConnectorType>> = {
  OAUTH: ConnectorType.OAUTH,
  API_KEY: ConnectorType.API_KEY,
  BASIC: ConnectorType.BASIC,
  BEARER: ConnectorType.BEARER_TOKEN,
};

function timestamp(iso: string | null): Timestamp | undefined {
  return iso === null ? undefined : timestampFromMs(Date.parse(iso));
}

/**
 * An account as `ConnectedAccountForList`. Naming follows the SDK's mapping (wire notes §5.2):
 * its `connector` is our connection name and `provider` our connector's identifier.
 */
export function toListedAccount(view: AccountView): MessageInitShape<typeof ConnectedAccountForListSchema> {
  return listedFields(view);
}

function listedFields(view: AccountView) {
  return {
    id: view.id,
    identifier: view.identifier,
    connector: view.connection_name,
    provider: view.connector,
    connectionId: view.connection_id,
    status: ConnectorStatus[view.status],
    authorizationType: AUTHORIZATION_TYPES[view.authorization_type] ?? ConnectorType.CONNECTION_TYPE_UNSPECIFIED,
    tokenExpiresAt: timestamp(view.token_expires_at),
    updatedAt: timestamp(view.updated_at),
    lastUsedAt: timestamp(view.last_used_at),
  };
}

/**
 * An account as `ConnectedAccount`. The reference returns the stored tokens and keys here; we
 * never return credentials (DESIGN §5, checklist S10), so `authorization_details` only says
 * which kind is stored, with every secret value left empty. Call upstream APIs through
 * `actions.request` instead: that is what the credentials are for.
 */
export function toAccount(view: AccountView): MessageInitShape<typeof ConnectedAccountSchema> {
  const masked: MessageInitShape<typeof AuthorizationDetailsSchema> = view.authorization_type === 'OAUTH'
    ? { details: { case: 'oauthToken', value: {} } }
    : { details: { case: 'staticAuth', value: { details: {} } } };
  return { ...listedFields(view), apiConfig: view.api_config, ...(view.has_credentials ? { authorizationDetails: masked } : {}) };
}

/**
 * The credential values an app sends (bring your own credentials), flattened the way the
 * services take them: `static_auth.details` plus the non-secret `api_config` fields, validated
 * by the connector's pattern downstream. Undefined when no credentials were sent, which includes
 * the empty `oauth_token` the SDK's get-or-create sends as a placeholder.
 */
export function credentialValues(authorization: AuthorizationDetails | undefined, apiConfig: JsonObject | undefined): Record<string, unknown> | undefined {
  const details = authorization?.details;
  const config = apiConfig ?? {};
  if (details?.case === 'staticAuth') return { ...config, ...(details.value.details ?? {}) };
  if (details?.case === 'oauthToken') {
    const { accessToken, refreshToken, scopes, domain } = details.value;
    refuseUnsupported(
      { 'authorization_details.oauth_token': accessToken !== '' || refreshToken !== '' || scopes.length > 0 || domain !== '' },
      'Bring-your-own OAuth tokens are not supported: send the user an authorization link (getAuthorizationLink) and toolproxy runs the OAuth flow.',
    );
  } else if (details?.case !== undefined) {
    refuseUnsupported({ [`authorization_details.${details.case}`]: true }, 'Only static_auth credentials (API key, bearer token, basic) can be sent.');
  }
  refuseUnsupported(
    { api_config: Object.keys(config).length > 0 },
    'Send api_config together with static_auth credentials, or let the authorization link collect it.',
  );
  return undefined;
}
