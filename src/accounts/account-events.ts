import type { AccountView } from './account-view.ts';

/** Who did it (audit trail and logs; PLAN shared decision). */
export interface Actor {
  type: 'api_client' | 'hosted_link' | 'dashboard' | 'mcp_client' | 'system';
  id: string;
}

/**
 * What happened to an account, told after the change committed. The one place account
 * lifecycle events leave the accounts service; the audit trail and webhooks hook in here.
 */
export type AccountEvent =
  | { type: 'account.disconnected'; account: AccountView; actor: Actor | undefined; at: number }
  | { type: 'account.deleted'; account: AccountView; actor: Actor | undefined; at: number };

export type AccountEventListener = (event: AccountEvent) => void;
