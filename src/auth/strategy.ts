import type { Problem } from '../errors.ts';
import type { AuthPattern } from '../connectors/definition-schema.ts';

/** What a strategy adds to every upstream request. Header names are lower case. */
export interface Injection {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/**
 * One auth type's credential handling, in the spirit of kysely's `Dialect`: a few pure functions,
 * one module per type (STYLE.md), looked up by `strategyFor(type)`.
 */
export interface AuthStrategy<P extends AuthPattern = AuthPattern> {
  readonly type: P['type'];
  /** Names of the credential fields this pattern stores encrypted (e.g. ['api_key']). */
  credentialFields(pattern: P): string[];
  /**
   * Checks the values an end user submits on the hosted form (or through the API) before they are
   * stored. Every problem is listed; a message never contains the value.
   */
  validateCredentials(pattern: P, values: Readonly<Record<string, unknown>>): Problem[];
  /**
   * Builds what gets injected into every upstream request, from decrypted credential values. Pure.
   * Throws `INVALID_FIELD` when a stored value is missing or unusable (never echoes the value).
   */
  inject(pattern: P, credentials: Readonly<Record<string, string>>): Injection;
}
