import type { AccountRow } from '../store/schema.ts';
import { assertValidIdentifier } from './identifiers.ts';

/**
 * The reference's `organization_id` and `user_id` on a connected account. toolproxy keys an
 * account by (connection, identifier), as the proxy routes by exactly those two; the scope is
 * a pair of labels set when the account is created and never changed afterwards. Every call
 * that gives them must match them exactly: a lookup whose scope differs finds nothing
 * (ACCOUNT_NOT_FOUND, as if the account were not there), a list is filtered by them, and a
 * get-or-create that finds the account under another scope is ACCOUNT_EXISTS. An account made
 * without them has none, so a call that gives one does not match it.
 */
export interface AccountScope {
  organizationId?: string | undefined;
  userId?: string | undefined;
}

/** INVALID_IDENTIFIER for a given-but-unusable organization_id or user_id. */
export function assertValidScope(scope: AccountScope): void {
  if (scope.organizationId !== undefined) assertValidIdentifier(scope.organizationId, 'organization_id');
  if (scope.userId !== undefined) assertValidIdentifier(scope.userId, 'user_id');
}

/** Whether the row is in the scope the call gave (an absent value matches anything). */
export function inScope(row: Pick<AccountRow, 'organization_id' | 'user_id'>, scope: AccountScope): boolean {
  return (scope.organizationId === undefined || row.organization_id === scope.organizationId)
    && (scope.userId === undefined || row.user_id === scope.userId);
}

/** The scope as details of an error (only the values that were given). */
export function scopeDetails(scope: AccountScope): Record<string, string> {
  return {
    ...(scope.organizationId === undefined ? {} : { organization_id: scope.organizationId }),
    ...(scope.userId === undefined ? {} : { user_id: scope.userId }),
  };
}
