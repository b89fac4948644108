import { ToolproxyError } from '../errors.ts';

/**
 * The application's own ids for its users (`identifier`) and the reference's `organization_id`
 * and `user_id`. They are compared exactly (S11), so a value must survive every hop unchanged:
 * HTTP drops whitespace around header values (RFC 9110 §5.5) and SDKs trim arguments, so
 * `"bob "` would be routed as `"bob"` and use bob's credentials. Such values are refused where
 * accounts are created; control characters too (they cannot travel in a header at all).
 */
const EDGE_WHITESPACE = /^\s|\s$/;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
export const MAX_IDENTIFIER_LENGTH = 255;

/** Why `value` is not a usable identifier, or null when it is. */
export function identifierProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'is required';
  if (value.length > MAX_IDENTIFIER_LENGTH) return `must be at most ${MAX_IDENTIFIER_LENGTH} characters`;
  if (EDGE_WHITESPACE.test(value)) return 'must not start or end with whitespace (HTTP and the SDKs trim it, so calls would reach another account)';
  if (CONTROL_CHARACTER.test(value)) return 'must not contain control characters';
  return null;
}

/** INVALID_IDENTIFIER naming the field, for `identifier`, `organization_id` or `user_id`. */
export function assertValidIdentifier(value: unknown, field: 'identifier' | 'organization_id' | 'user_id' = 'identifier'): asserts value is string {
  const problem = identifierProblem(value);
  if (problem !== null) {
    throw new ToolproxyError('INVALID_IDENTIFIER', { details: { field, problems: [{ path: `/${field}`, message: problem }] } });
  }
}
