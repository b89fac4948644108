import type { BasicPattern } from '../connectors/definition-schema.ts';
import type { Problem } from '../errors.ts';
import { withPasswordFields } from './credential-fields.ts';
import { buildInjection, checkSubmittedValues, ownValue, pointer, requiredValue, unusableCredential } from './credential-values.ts';
import { applyFieldMutations } from './mutations.ts';
import type { AuthStrategy } from './strategy.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * BASIC: `Authorization: Basic base64(username:password)` (RFC 7617 §2), UTF-8 before base64
 * (§2.1 charset). The password may be empty, or come from a mutation default (Freshdesk: "X").
 */
export const basicStrategy: AuthStrategy<BasicPattern> = {
  type: 'BASIC',
  credentialFields: (pattern) => withPasswordFields(pattern, ['username', 'password']),
  validateCredentials(pattern, values) {
    const problems = checkSubmittedValues(pattern, values, { schemeRequired: ['username'], headerBound: [] });
    const username = values && typeof values === 'object' ? ownValue(values, 'username') : undefined;
    if (typeof username === 'string' && username.includes(':') && !problems.some((p) => p.path === '/username')) {
      problems.push(colonProblem());
    }
    return problems;
  },
  inject(pattern, credentials) {
    const values = applyFieldMutations(pattern, credentials);
    const username = requiredValue(values, 'username');
    const rawPassword = ownValue(values, 'password');
    const password = typeof rawPassword === 'string' ? rawPassword : '';
    if (username.includes(':')) throw unusableCredential('username', 'contains ":"');
    if (CONTROL.test(username)) throw unusableCredential('username', 'contains control characters');
    if (CONTROL.test(password)) throw unusableCredential('password', 'contains control characters');
    const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    return buildInjection(pattern, 'username', `Basic ${encoded}`);
  },
};

// RFC 7617 §2: "a user-id containing a colon character is invalid".
function colonProblem(): Problem {
  return { path: pointer('username'), message: 'must not contain ":" (RFC 7617 §2)' };
}
