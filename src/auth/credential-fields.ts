import type { AuthPattern, AuthType, ConnectorField } from '../connectors/definition-schema.ts';

/**
 * Field names that take part in the injection, per auth type (reference §1.3: mutations apply to
 * `api_key`, `token`, `username`, `password`). BEARER also accepts `bearer_token`, the name the
 * reference's Python SDK suggests. OAUTH credentials come from the token endpoint, not from fields.
 */
export const INJECTED_FIELD_NAMES: { readonly [T in AuthType]: readonly string[] } = {
  API_KEY: ['api_key'],
  BASIC: ['username', 'password'],
  BEARER: ['token', 'bearer_token'],
  OAUTH: [],
};

/** The BEARER field that holds the token: `token`, or `bearer_token` when only that is declared. */
export function bearerTokenField(pattern: { fields: readonly { readonly field_name?: unknown }[] }): 'token' | 'bearer_token' {
  const names = new Set(pattern.fields.map((field) => field.field_name));
  return !names.has('token') && names.has('bearer_token') ? 'bearer_token' : 'token';
}

/** Fields the end user fills for this pattern: `fields`, or `account_fields` for OAUTH. */
export function declaredFields(pattern: AuthPattern): ConnectorField[] {
  return pattern.type === 'OAUTH' ? pattern.account_fields : pattern.fields;
}

/** Scheme fields plus every password-type input: anything typed into a masked input is secret. */
export function withPasswordFields(pattern: AuthPattern, schemeFields: readonly string[]): string[] {
  const names = new Set(schemeFields);
  for (const field of declaredFields(pattern)) if (field.input_type === 'password') names.add(field.field_name);
  return [...names];
}
