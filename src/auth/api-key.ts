import type { ApiKeyPattern } from '../connectors/definition-schema.ts';
import { withPasswordFields } from './credential-fields.ts';
import { buildInjection, checkSubmittedValues, credentialPlacement, requiredValue } from './credential-values.ts';
import { applyFieldMutations } from './mutations.ts';
import type { AuthStrategy } from './strategy.ts';

/**
 * API_KEY: the key as is in `Authorization` (reference §1.3), in `auth_header_key_override`, or
 * (ext) in the `auth_query_param` query parameter.
 */
export const apiKeyStrategy: AuthStrategy<ApiKeyPattern> = {
  type: 'API_KEY',
  credentialFields: (pattern) => withPasswordFields(pattern, ['api_key']),
  validateCredentials: (pattern, values) =>
    checkSubmittedValues(pattern, values, {
      schemeRequired: ['api_key'],
      headerBound: credentialPlacement(pattern).in === 'header' ? ['api_key'] : [],
    }),
  inject(pattern, credentials) {
    const key = requiredValue(applyFieldMutations(pattern, credentials), 'api_key');
    return buildInjection(pattern, 'api_key', key);
  },
};
