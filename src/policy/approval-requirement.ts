import type { Call } from '../proxy/call.ts';
import { approvalRuleOf } from './effective-policy.ts';
import { CHECKED } from './policy-step.ts';

/**
 * For the approval step (src/approvals/), which runs after the policy step: the
 * `require_approval` rule of the call's effective policy (connection ∩ account) that matches
 * this call, or null when none does or no policy applies. The rule is one of
 * `require_approval.methods`, `require_approval.tools` (the tool/MCP call's tool name) and
 * `require_approval.paths` (with `pattern`, the glob that matched the path under proxy_url).
 *
 * It costs nothing for a call without a policy, and sends no SQL: it reads what the policy step
 * left on the call. A call the policy step refused never gets here.
 */
export function approvalRequirement(call: Call): { rule: string; pattern?: string } | null {
  const checked = CHECKED.get(call);
  return checked === undefined ? null : approvalRuleOf(checked.policy, checked.facts);
}
