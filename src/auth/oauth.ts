import type { OAuthPattern } from '../connectors/definition-schema.ts';
import { buildInjection, checkSubmittedValues, requiredValue } from './credential-values.ts';
import type { AuthStrategy } from './strategy.ts';

/**
 * OAUTH: `Authorization: Bearer <access_token>` (RFC 6750 §2.1). Placeholder: the authorization
 * code flow, refresh and revocation belong to src/auth/oauth/ (a later issue). The values an end
 * user submits for an OAUTH pattern are its `account_fields`.
 */
export const oauthStrategy: AuthStrategy<OAuthPattern> = {
  type: 'OAUTH',
  credentialFields: () => ['access_token', 'refresh_token'],
  validateCredentials: (pattern, values) => checkSubmittedValues(pattern, values, { schemeRequired: [], headerBound: [] }),
  inject(pattern, credentials) {
    return buildInjection(pattern, 'access_token', `Bearer ${requiredValue(credentials, 'access_token')}`);
  },
};
