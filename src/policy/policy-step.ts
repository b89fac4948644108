import { ToolproxyError } from '../errors.ts';
import { type Call, CallState } from '../proxy/call.ts';
import type { PipelineStep } from '../proxy/pipeline.ts';
import { type CallFacts, compileEffective, type EffectivePolicy, type PolicyRefusal, refusalOf } from './effective-policy.ts';
import { policyPath } from './path-glob.ts';
import type { PoliciesService } from './policies-service.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { PolicyDocument } from './policy-schema.ts';

/** The effective policy and what it looked at, kept on the call for the approval step (`approvalRequirement`). */
export interface CheckedCall {
  readonly policy: EffectivePolicy;
  readonly facts: CallFacts;
}

export const CHECKED = new CallState<CheckedCall>('policy');

/**
 * The pipeline's policy step (after resolve, before approval and limits): the call against its
 * account's effective policy (connection ∩ account; docs/policies.md). A refusal is POLICY_DENIED
 * naming the rule (`{ rule: "paths.deny", pattern: "/v1/admin/**" }`) or RATE_LIMITED, thrown
 * before a slot is taken, a body read or a byte sent upstream.
 *
 * With no policy anywhere the step returns at its first line; with policies, an account without
 * one costs one map lookup. The body cap: a declared Content-Length (or a rendered body) over it
 * is refused here; a chunked body is held to it as it is read (request-body.ts).
 */
export class PolicyStep implements PipelineStep {
  readonly name = 'policy';
  readonly #policies: PoliciesService;
  readonly #limiter: RateLimiter;

  constructor(policies: PoliciesService, limiter: RateLimiter) {
    this.#policies = policies;
    this.#limiter = limiter;
  }

  run(call: Call): void | Promise<void> {
    // Validated as a policy document when the token carrying it was minted (src/mcp/tokens.ts).
    const carried = call.context.policy as PolicyDocument | undefined;
    if (this.#policies.none && carried === undefined) return undefined;
    const account = call.account!;
    // A policy the caller carries (an MCP session token's) is one more layer, compiled for this call.
    const policy = carried === undefined
      ? this.#policies.effectiveFor(account.connectionName, account.accountId)
      : compileEffective([...this.#policies.layersFor(account.connectionName, account.accountId), carried]);
    if (policy === null) return undefined;
    const facts: CallFacts = {
      method: call.method,
      path: policyPath(call.joinedPath, account.target!.basePath),
      door: call.context.door,
      toolName: call.context.toolName,
    };
    CHECKED.set(call, { policy, facts });
    const refusal = refusalOf(policy, facts);
    if (refusal !== null) throw policyDenied(refusal);
    if (policy.maxBodyBytes !== null) holdBodyTo(call, policy.maxBodyBytes);
    if (policy.rateLimit === null) return undefined;
    const taken = this.#limiter.take(account.accountId, policy.rateLimit);
    if (taken === true) return undefined;
    if (!(taken instanceof Promise)) throw taken;
    return taken.then((result) => {
      if (result !== true) throw result;
    });
  }
}

export function policyDenied(refusal: PolicyRefusal): ToolproxyError {
  return new ToolproxyError('POLICY_DENIED', { details: refusal });
}

function holdBodyTo(call: Call, cap: number): void {
  const body = call.request.body;
  if (body === null) return;
  let size: number | undefined;
  if (Buffer.isBuffer(body)) size = body.length;
  else {
    const declared = call.request.headers['content-length'];
    if (typeof declared === 'string' && /^\d+$/.test(declared)) size = Number(declared);
  }
  if (size !== undefined && size > cap) throw policyDenied({ rule: 'max_request_body_bytes' });
  // Unsized (chunked): the body reader cuts it off at the cap.
  call.maxBodyBytes = cap;
}
