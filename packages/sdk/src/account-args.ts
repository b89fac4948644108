import { ToolproxyError } from './errors.ts';
import { type Query, segment } from './transport.ts';
import type { AccountRef } from './types.ts';

/**
 * The reference's organization and user of an account: set when it is created; every call that
 * gives them must match them (the server answers ACCOUNT_NOT_FOUND otherwise).
 */
export interface AccountScope {
  organizationId?: string;
  userId?: string;
}

const EDGE_WHITESPACE = /^\s|\s$/;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Identifiers travel in the `identifier` header of proxy calls, and HTTP trims header values:
 * `"bob "` would be routed as `"bob"`. So they are never trimmed here, and one with surrounding
 * whitespace or a control character is refused before anything is sent, with the server's code.
 */
export function checkedIdentifier(identifier: unknown, call: string): string {
  if (typeof identifier !== 'string' || identifier.trim() === '') throw new TypeError(`${call}: identifier is required`);
  if (EDGE_WHITESPACE.test(identifier) || CONTROL_CHARACTER.test(identifier)) {
    throw new ToolproxyError(
      'INVALID_IDENTIFIER',
      `${call}: the identifier must not start or end with whitespace or contain control characters (HTTP trims it, so the call would reach another account).`,
    );
  }
  return identifier;
}

/** For calls that create an account or route by it: a clean identifier, the connection name trimmed. */
export function accountKey(options: { connectionName?: unknown; identifier?: unknown }, call: string): { connectionName: string; identifier: string } {
  const connectionName = typeof options.connectionName === 'string' ? options.connectionName.trim() : '';
  if (!connectionName) throw new TypeError(`${call}: connectionName and identifier are required`);
  return { connectionName, identifier: checkedIdentifier(options.identifier, call) };
}

/** Scope fields for a JSON body (only those given). */
export function scopeBody(scope: AccountScope): Record<string, string> {
  return { ...(scope.organizationId ? { organization_id: scope.organizationId } : {}), ...(scope.userId ? { user_id: scope.userId } : {}) };
}

export function scopeQuery(scope: AccountScope): Query {
  return { organization_id: scope.organizationId, user_id: scope.userId };
}

/**
 * The account's URL. By key, the identifier goes as it is (percent-encoded, never trimmed), so
 * an account made before identifiers were checked can still be read and deleted.
 */
export function accountPath(ref: AccountRef): string {
  if ('connectedAccountId' in ref && typeof ref.connectedAccountId === 'string' && ref.connectedAccountId.trim() !== '') {
    return `/api/v1/connected_accounts/${segment(ref.connectedAccountId.trim())}`;
  }
  const { connectionName, identifier } = ref as { connectionName?: unknown; identifier?: unknown };
  if (typeof connectionName !== 'string' || !connectionName.trim() || typeof identifier !== 'string' || identifier === '') {
    throw new TypeError('connectedAccountId, or connectionName and identifier, are required');
  }
  return `/api/v1/connections/${segment(connectionName.trim())}/connected_accounts/${segment(identifier)}`;
}
