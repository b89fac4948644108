/**
 * Checks shared by every strategy: on submitted values (before they are stored) and on the final
 * injected values (before they reach the wire). Messages name the field, never the value (S-class
 * rule: no secret in an error).
 */
import type { AuthPattern, ConnectorField } from '../connectors/definition-schema.ts';
import { ToolproxyError, type Problem } from '../errors.ts';
import { declaredFields } from './credential-fields.ts';
import type { Injection } from './strategy.ts';

export const MAX_VALUE_LENGTH = 4096;
const CONTROL = /[\u0000-\u001f\u007f]/;
// RFC 9110 §5.5: CR, LF and NUL are never valid in a field value; we keep header values to
// printable ASCII because undici throws on anything above U+00FF.
const HEADER_SAFE = /^[\u0020-\u007e]*$/;

export interface ValueRules {
  /** Scheme fields the injection cannot do without (e.g. `api_key`), unless a mutation default exists. */
  schemeRequired: readonly string[];
  /** Fields whose value ends up in an HTTP header as typed. */
  headerBound: readonly string[];
}

/** Own-property read, so a field called `constructor` cannot reach `Object.prototype`. */
export function ownValue(values: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

export function pointer(name: string): string {
  return `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function checkSubmittedValues(pattern: AuthPattern, values: unknown, rules: ValueRules): Problem[] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    return [{ path: '', message: 'must be an object of field values' }];
  }
  const record = values as Readonly<Record<string, unknown>>;
  const fields = declaredFields(pattern);
  const known = new Set(fields.map((field) => field.field_name));
  const problems: Problem[] = [];
  for (const name of Object.keys(record)) {
    if (!known.has(name)) problems.push({ path: pointer(name), message: 'is not a field of this connector' });
  }
  for (const field of fields) {
    const problem = checkValue(pattern, field, ownValue(record, field.field_name), rules);
    if (problem) problems.push({ path: pointer(field.field_name), message: problem });
  }
  return problems;
}

function checkValue(pattern: AuthPattern, field: ConnectorField, value: unknown, rules: ValueRules): string | null {
  if (value === undefined || value === null || value === '') {
    const hasDefault = pattern.auth_field_mutations?.[field.field_name]?.default !== undefined;
    const required = (field.required || rules.schemeRequired.includes(field.field_name)) && !hasDefault;
    return required ? 'is required' : null;
  }
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_VALUE_LENGTH) return `must be at most ${MAX_VALUE_LENGTH} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters (CR, LF, NUL, tab …)';
  if (rules.headerBound.includes(field.field_name) && !HEADER_SAFE.test(value)) {
    return 'must contain only printable ASCII characters: it is sent in an HTTP header (RFC 9110 §5.5)';
  }
  return null;
}

export function unusableCredential(name: string, problem: string): ToolproxyError {
  return new ToolproxyError('INVALID_FIELD', {
    message: `The stored credential ${name} ${problem}. Send the user a new authorization link.`,
    details: { problems: [{ path: pointer(name), message: problem }] },
  });
}

/** The final value of a credential the injection needs; throws when it is missing. */
export function requiredValue(values: Readonly<Record<string, string>>, name: string): string {
  const value = ownValue(values, name);
  if (typeof value !== 'string' || value === '') throw unusableCredential(name, 'is missing');
  return value;
}

/** Where the credential goes: a header (lower-case name) or, for API_KEY with `auth_query_param`, the query. */
export function credentialPlacement(pattern: AuthPattern): { in: 'header' | 'query'; name: string } {
  if (pattern.type === 'API_KEY' && pattern.auth_query_param !== undefined) {
    return { in: 'query', name: pattern.auth_query_param };
  }
  return { in: 'header', name: (pattern.auth_header_key_override ?? 'authorization').toLowerCase() };
}

/**
 * The credential, in its header or query parameter (static headers are not part of it: see
 * `defaultHeaders`). The value is checked again here: mutations or a tampered store must not
 * smuggle a CR/LF into a header (RFC 9110 §5.5, P6).
 */
export function buildInjection(pattern: AuthPattern, credentialName: string, credentialValue: string): Injection {
  const headers: Record<string, string> = {};
  const placement = credentialPlacement(pattern);
  if (placement.in === 'query') {
    if (CONTROL.test(credentialValue)) throw unusableCredential(credentialName, 'contains control characters');
    return { headers, query: { [placement.name]: credentialValue } };
  }
  if (!HEADER_SAFE.test(credentialValue)) {
    throw unusableCredential(credentialName, 'contains characters that cannot be sent in a header');
  }
  headers[placement.name] = credentialValue;
  return { headers, query: {} };
}
