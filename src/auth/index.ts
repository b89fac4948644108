/**
 * Credential injection: one strategy per auth type behind `AuthStrategy` (STYLE.md), plus the
 * helpers the proxy and the accounts service call with a pattern of any type.
 */
import type { AuthPattern, AuthType, PatternOf } from '../connectors/definition-schema.ts';
import { ToolproxyError, type Problem } from '../errors.ts';
import { apiKeyStrategy } from './api-key.ts';
import { basicStrategy } from './basic.ts';
import { bearerStrategy } from './bearer.ts';
import { credentialPlacement } from './credential-values.ts';
import { oauthStrategy } from './oauth.ts';
import type { AuthStrategy, Injection } from './strategy.ts';

export type { AuthStrategy, Injection } from './strategy.ts';
export { applyFieldMutations } from './mutations.ts';
export { INJECTED_FIELD_NAMES, bearerTokenField } from './credential-fields.ts';

const STRATEGIES: { readonly [T in AuthType]: AuthStrategy<PatternOf<T>> } = {
  API_KEY: apiKeyStrategy,
  BASIC: basicStrategy,
  BEARER: bearerStrategy,
  OAUTH: oauthStrategy,
};

export function strategyFor<T extends AuthType>(type: T): AuthStrategy<PatternOf<T>> {
  const strategy = Object.hasOwn(STRATEGIES, type) ? STRATEGIES[type] : undefined;
  // Stored definitions are validated on write; this guards a hand-edited row.
  if (!strategy) throw new ToolproxyError('CONNECTOR_INVALID', { message: `No credential strategy for auth type ${String(type)}.` });
  return strategy;
}

export function credentialFields(pattern: AuthPattern): string[] {
  return strategyFor(pattern.type).credentialFields(pattern);
}

export function validateCredentials(pattern: AuthPattern, values: Readonly<Record<string, unknown>>): Problem[] {
  return strategyFor(pattern.type).validateCredentials(pattern, values);
}

export function injectCredentials(pattern: AuthPattern, credentials: Readonly<Record<string, string>>): Injection {
  return strategyFor(pattern.type).inject(pattern, credentials);
}

/**
 * Lower-case names of the headers the injection sets: the proxy strips these from the caller's
 * request, case-insensitively, so injected credentials cannot be overridden or doubled (P7).
 */
export function injectedHeaderNames(pattern: AuthPattern): string[] {
  const placement = credentialPlacement(pattern);
  return placement.in === 'header' ? [placement.name] : [];
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The pattern's static headers (ext), lower-cased: sent on every call unless the caller sends the
 * same header itself, so a caller can pin another API version than the connector's. They are
 * never credentials, and validation keeps them from naming the credential header.
 */
export function defaultHeaders(pattern: AuthPattern): Readonly<Record<string, string>> {
  const entries = Object.entries(pattern.static_headers ?? {});
  return entries.length === 0 ? NO_HEADERS : Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), value]));
}

/** Query parameters the injection sets (API_KEY with `auth_query_param`); strip them from the caller's query (P7). */
export function injectedQueryNames(pattern: AuthPattern): string[] {
  const placement = credentialPlacement(pattern);
  return placement.in === 'query' ? [placement.name] : [];
}
