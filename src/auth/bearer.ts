import type { BearerPattern } from '../connectors/definition-schema.ts';
import { bearerTokenField, withPasswordFields } from './credential-fields.ts';
import { buildInjection, checkSubmittedValues, requiredValue } from './credential-values.ts';
import { applyFieldMutations } from './mutations.ts';
import type { AuthStrategy } from './strategy.ts';

/** BEARER: `Authorization: Bearer <token>` (RFC 6750 §2.1). */
export const bearerStrategy: AuthStrategy<BearerPattern> = {
  type: 'BEARER',
  credentialFields: (pattern) => withPasswordFields(pattern, [bearerTokenField(pattern)]),
  validateCredentials(pattern, values) {
    const field = bearerTokenField(pattern);
    return checkSubmittedValues(pattern, values, { schemeRequired: [field], headerBound: [field] });
  },
  inject(pattern, credentials) {
    const field = bearerTokenField(pattern);
    const token = requiredValue(applyFieldMutations(pattern, credentials), field);
    return buildInjection(pattern, field, `Bearer ${token}`);
  },
};
