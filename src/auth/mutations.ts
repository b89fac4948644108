import type { AuthPattern } from '../connectors/definition-schema.ts';

/**
 * Applies `auth_field_mutations` in the reference's order (agent-auth-features.md §1.3):
 * default (when the value is missing or empty) → prefix → suffix. Formatting (`Bearer `, base64)
 * comes after, in the strategy. A value that is still empty gets no prefix or suffix, so a missing
 * credential stays detectably missing. Returns a new record; other fields pass through.
 */
export function applyFieldMutations(
  pattern: Pick<AuthPattern, 'auth_field_mutations'>,
  credentials: Readonly<Record<string, string>>,
): Record<string, string> {
  const result: Record<string, string> = { ...credentials };
  for (const [name, mutation] of Object.entries(pattern.auth_field_mutations ?? {})) {
    let value = credentials[name];
    if ((value === undefined || value === '') && mutation.default !== undefined) value = mutation.default;
    if (value === undefined || value === '') continue;
    result[name] = `${mutation.prefix ?? ''}${value}${mutation.suffix ?? ''}`;
  }
  return result;
}
