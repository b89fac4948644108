import { type Problem, ToolproxyError } from '../errors.ts';
import { patternContains } from './path-glob.ts';
import { type PolicyDocument, SAFE_METHODS } from './policy-schema.ts';

/**
 * A connected account's (or MCP session token's) policy may only narrow the one above it: every
 * field it states must be at least as strict as the parent's on that field, and a field it leaves
 * out is inherited. The call is then checked against both (effective-policy.ts), so even a parent
 * changed later can never be widened by what was narrowed before.
 *
 * Each problem names the rule that would widen: a method the parent does not allow, read_only or
 * tools_only turned off, an allow pattern outside the parent's, a parent deny (or approval rule)
 * dropped, a tool outside the parent's list, a higher rate or burst, a larger body cap.
 */
export function wideningProblems(narrow: PolicyDocument, parent: PolicyDocument | null): Problem[] {
  if (parent === null) return [];
  const problems: Problem[] = [];
  const widens = (path: string, message: string) => problems.push({ path, message });

  const parentMethods = parent.allowed_methods === undefined ? undefined : new Set(parent.allowed_methods);
  narrow.allowed_methods?.forEach((method, index) => {
    if (parentMethods !== undefined && !parentMethods.has(method)) widens(`/allowed_methods/${index}`, `${method} is not allowed by the connection's policy`);
    else if (parent.read_only === true && !SAFE_METHODS.has(method)) widens(`/allowed_methods/${index}`, `${method} is not allowed: the connection's policy is read_only`);
  });
  if (parent.read_only === true && narrow.read_only === false) widens('/read_only', "the connection's policy is read_only");
  if (parent.tools_only === true && narrow.tools_only === false) widens('/tools_only', "the connection's policy is tools_only");

  const parentAllow = parent.paths?.allow;
  narrow.paths?.allow?.forEach((pattern, index) => {
    if (parentAllow !== undefined && !parentAllow.some((outer) => patternContains(outer, pattern))) {
      widens(`/paths/allow/${index}`, `${pattern} is not inside the connection's allowed paths (${parentAllow.join(', ')})`);
    }
  });
  const narrowDeny = narrow.paths?.deny;
  if (narrowDeny !== undefined) {
    for (const pattern of parent.paths?.deny ?? []) {
      if (!narrowDeny.some((outer) => patternContains(outer, pattern))) widens('/paths/deny', `drops the connection's deny ${pattern}`);
    }
  }

  const parentTools = parent.tools === undefined ? undefined : new Set(parent.tools);
  narrow.tools?.forEach((tool, index) => {
    if (parentTools !== undefined && !parentTools.has(tool)) widens(`/tools/${index}`, `${tool} is not in the connection's tools`);
  });

  const rate = narrow.rate_limit;
  const parentRate = parent.rate_limit;
  if (rate !== undefined && parentRate !== undefined) {
    if (rate.requests > parentRate.requests) widens('/rate_limit/requests', `a burst of ${rate.requests} is more than the connection's ${parentRate.requests}`);
    // Compare requests per second without rounding: a/b > c/d ⇔ a·d > c·b.
    if (rate.requests * parentRate.per_seconds > parentRate.requests * rate.per_seconds) {
      widens('/rate_limit', `${rate.requests} per ${rate.per_seconds} s is faster than the connection's ${parentRate.requests} per ${parentRate.per_seconds} s`);
    }
  }
  const cap = narrow.max_request_body_bytes;
  if (cap !== undefined && parent.max_request_body_bytes !== undefined && cap > parent.max_request_body_bytes) {
    widens('/max_request_body_bytes', `${cap} is more than the connection's ${parent.max_request_body_bytes}`);
  }

  const approval = narrow.require_approval;
  const parentApproval = parent.require_approval;
  if (approval !== undefined && parentApproval !== undefined) {
    for (const method of parentApproval.methods ?? []) {
      if (!(approval.methods ?? []).includes(method)) widens('/require_approval/methods', `drops the connection's approval for ${method}`);
    }
    for (const tool of parentApproval.tools ?? []) {
      if (!(approval.tools ?? []).includes(tool)) widens('/require_approval/tools', `drops the connection's approval for tool ${tool}`);
    }
    for (const pattern of parentApproval.paths ?? []) {
      if (!(approval.paths ?? []).some((outer) => patternContains(outer, pattern))) widens('/require_approval/paths', `drops the connection's approval for ${pattern}`);
    }
  }
  return problems;
}

/** Throws POLICY_WIDENS with every widening rule, or returns. */
export function assertNarrows(narrow: PolicyDocument, parent: PolicyDocument | null): void {
  const problems = wideningProblems(narrow, parent);
  if (problems.length > 0) throw new ToolproxyError('POLICY_WIDENS', { details: { problems } });
}
