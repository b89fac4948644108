import type { Repositories } from '../store/repositories.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { AccountView } from './account-view.ts';

/** Who did it (audit trail and logs; PLAN shared decision). */
export interface Actor {
  type: 'api_client' | 'hosted_link' | 'dashboard' | 'mcp_client' | 'system';
  id: string;
}

/**
 * What happened to an account, told after the change committed. The one place account
 * lifecycle events leave the accounts service; the audit trail and webhooks hook in here.
 *
 * - `account.created`: a new row (PENDING_AUTH for a link, ACTIVE for bring-your-own credentials).
 * - `account.status_changed`: any other change of status (PENDING_AUTH → ACTIVE after a link,
 *   ACTIVE → EXPIRED after a refused refresh, EXPIRED → ACTIVE after a new link, …). A change to
 *   DISCONNECTED is told as `account.disconnected` only, and a deletion as `account.deleted`.
 */
export type AccountEvent =
  | { type: 'account.created'; account: AccountView; actor: Actor | undefined; at: number }
  | { type: 'account.status_changed'; account: AccountView; previousStatus: AccountStatus; actor: Actor | undefined; at: number }
  | { type: 'account.disconnected'; account: AccountView; actor: Actor | undefined; at: number }
  | { type: 'account.deleted'; account: AccountView; actor: Actor | undefined; at: number };

/** Called after the change committed; returns at once and never throws (it hands the event off). */
export type AccountEventListener = (event: AccountEvent) => void;

/**
 * The transactional outbox (DESIGN.md §9): `write` stores an event in the same transaction as the
 * change it tells, so a crash can never keep the change and lose the event; `committed` runs once
 * that transaction has committed (the webhook worker then sends at once). src/webhooks implements it.
 */
export interface AccountEventOutbox {
  write(repos: Repositories, event: AccountEvent): Promise<void>;
  committed(): void;
}

/** The `account.status_changed` event for a write that went from `before` to `account.status`, or null when the status stayed. */
export function statusChange(before: AccountStatus, account: AccountView, at: number, actor?: Actor): AccountEvent | null {
  if (before === account.status || account.status === 'DISCONNECTED') return null;
  return { type: 'account.status_changed', account, previousStatus: before, actor, at };
}
