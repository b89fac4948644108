import type { Actor } from '../actor.ts';
import type { ApprovalEvent } from './events.ts';

/** What the approvals service tells its observer (its audit recorder today): the fields read here. */
export interface ApprovalNotice {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly actor?: Actor | null | undefined;
  readonly outcome?: string | undefined;
}

/** An approval as the approvals service shows it (ApprovalView): the fields a webhook carries. */
export interface ApprovalSnapshot {
  id: string;
  status: string;
  connection_name: string;
  identifier: string;
  method: string;
  path: string;
  tool_name: string | null;
  expires_at: string;
  approval_url: string;
}

const TYPES: Record<string, ApprovalEvent['type']> = { 'approval.request': 'approval.requested', 'approval.decide': 'approval.decided' };

/**
 * `approval.requested` and `approval.decided` webhooks from the approvals service as it stands:
 * it tells one observer (the audit recorder) after each request and decision has committed, so
 * server.ts hands it a recorder that also calls this. The approval is read back by id (its view:
 * metadata only, never the held headers or body) and published through the outbox. Returns at
 * once; never throws (the outbox logs a failure).
 */
export function approvalWebhooks(deps: {
  load: (id: string) => Promise<ApprovalSnapshot | undefined>;
  publish: (event: ApprovalEvent) => Promise<void>;
  clock: () => number;
  log: { error(details: object, message: string): void };
}): (notice: ApprovalNotice) => void {
  return (notice) => {
    const type = TYPES[notice.action];
    if (!type || notice.target.type !== 'approval') return;
    const at = deps.clock();
    void deps.load(notice.target.id).then(
      (approval) => {
        if (!approval) return;
        const decision = type === 'approval.decided' && (notice.outcome === 'approved' || notice.outcome === 'denied') ? notice.outcome : null;
        return deps.publish({
          type,
          at,
          actor: notice.actor ?? undefined,
          approval: {
            id: approval.id,
            connection_name: approval.connection_name,
            identifier: approval.identifier,
            method: approval.method,
            path: approval.path,
            tool_name: approval.tool_name,
            status: approval.status,
            decision,
            expires_at: approval.expires_at,
            link: approval.approval_url,
          },
        });
      },
      (error: unknown) => deps.log.error({ err: error, approval: notice.target.id }, 'approval webhook: the approval could not be read'),
    );
  };
}
