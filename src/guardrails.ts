import type { ApprovalRequirement } from './approvals/approval-step.ts';
import { ApprovalStep } from './approvals/approval-step.ts';
import { ApprovalsService } from './approvals/approvals-service.ts';
import type { AuditRecorder } from './audit/audit-entry.ts';
import type { ChangeFeed } from './changes.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { approvalRequirement } from './policy/approval-requirement.ts';
import { PoliciesService } from './policy/policies-service.ts';
import { PolicyStep } from './policy/policy-step.ts';
import { MemoryRateLimiter, SharedRateLimiter } from './policy/rate-limiter.ts';
import type { Store } from './store/store.ts';
import type { Vault } from './vault/vault.ts';
import { approvalWebhooks } from './webhooks/approval-notices.ts';
import type { WebhookOutbox } from './webhooks/outbox.ts';

export interface Guardrails {
  policies: PoliciesService;
  /** The pipeline's `policy` step (src/policy/policy-step.ts). */
  policyStep: PolicyStep;
  approvals: ApprovalsService;
  /** The pipeline's `approval` step (src/approvals/approval-step.ts). */
  approvalStep: ApprovalStep;
}

/**
 * Issue 14's call guardrails as the server composes them: the policies (loaded before the first
 * call) with their rate limiter, and human approval, whose requests and decisions go to the audit
 * trail and out as webhooks.
 */
export async function createGuardrails(deps: {
  store: Store;
  vault: Vault;
  clock: Clock;
  changes: ChangeFeed;
  config: Readonly<Config>;
  audit: AuditRecorder;
  webhooks: WebhookOutbox;
  /** Which calls need a person's approval; by default the policies' `require_approval` rule. */
  approvalRequirement?: ApprovalRequirement | undefined;
  log: { error(object: object, message: string): void };
}): Promise<Guardrails> {
  const { store, clock, changes, config, audit, log } = deps;
  const policies = new PoliciesService({ store, clock, changes, audit, onError: (err) => log.error({ err }, 'policies reload failed') });
  await policies.reload();
  // One SQLite instance keeps its buckets in memory; instances on one Postgres share them.
  const rateLimiter = store.dialect === 'postgres' ? new SharedRateLimiter({ repository: store.policies, clock }) : new MemoryRateLimiter(clock);
  const approvals = new ApprovalsService({
    db: store.db,
    vault: deps.vault,
    clock,
    changes,
    ttlMs: config.approvals.ttlMs,
    publicUrl: config.publicUrl,
    responseMaxBytes: config.bodyLimitBytes,
    log,
    // The audit trail, and the approval.requested / approval.decided webhooks (told the same way).
    audit: {
      record: (event) => {
        audit.record(event);
        approvalNotices(event);
      },
    },
  });
  const approvalNotices = approvalWebhooks({
    load: async (id) => {
      const row = await approvals.repository.findById(id);
      return row && approvals.view(row);
    },
    publish: (event) => deps.webhooks.publishApproval(event),
    clock,
    log,
  });
  return {
    policies,
    policyStep: new PolicyStep(policies, rateLimiter),
    approvals,
    approvalStep: new ApprovalStep({ service: approvals, requirement: deps.approvalRequirement ?? approvalRequirement, maxBodyBytes: config.bodyLimitBytes, publicUrl: config.publicUrl }),
  };
}
