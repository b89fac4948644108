import type { AccountEvent, Actor } from '../accounts/account-events.ts';
import type { AccountView } from '../accounts/account-view.ts';

/** Every event a webhook endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'account.created',
  'account.status_changed',
  'account.disconnected',
  'account.deleted',
  'approval.requested',
  'approval.decided',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What is published: the `data` of the body, built from views that never hold a secret. */
export interface WebhookEventInput {
  type: WebhookEventType;
  data: Record<string, unknown>;
  /** When it happened (ms); the body's `timestamp`. */
  at: number;
}

/** The account as a webhook shows it: the API's view (credentials never, S10) plus who acted. */
function accountData(account: AccountView, actor: Actor | undefined): Record<string, unknown> {
  return { connected_account: account, actor: actor ? { type: actor.type, id: actor.id } : null };
}

export function fromAccountEvent(event: AccountEvent): WebhookEventInput {
  const data = accountData(event.account, event.actor);
  if (event.type === 'account.status_changed') {
    return { type: event.type, at: event.at, data: { ...data, previous_status: event.previousStatus, status: event.account.status } };
  }
  return { type: event.type, at: event.at, data };
}

/**
 * An approval (issue 14's human approval, built on its own branch) for webhooks. The approvals
 * code calls `WebhookOutbox#publishApproval` with one of these once its change has committed:
 * `approval.requested` when a call is held, `approval.decided` when a person approves or denies
 * it (or it expires). Only ids, names and the decision: never the held request's body or headers.
 */
export interface ApprovalEvent {
  type: 'approval.requested' | 'approval.decided';
  approval: {
    id: string;
    connection_name: string;
    identifier: string;
    method: string;
    /** The upstream path, without its query string (which may carry secrets). */
    path: string;
    tool_name?: string | null;
    status: string;
    /** For `approval.decided`: `approved`, `denied` or `expired`. */
    decision?: 'approved' | 'denied' | 'expired' | null;
    expires_at?: string | null;
    link?: string | null;
  };
  actor?: Actor | undefined;
  at: number;
}

export function fromApprovalEvent(event: ApprovalEvent): WebhookEventInput {
  const { approval } = event;
  return {
    type: event.type,
    at: event.at,
    data: {
      approval: { ...approval, path: approval.path.split('?')[0] },
      actor: event.actor ? { type: event.actor.type, id: event.actor.id } : null,
    },
  };
}
