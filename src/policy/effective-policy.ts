import type { Door } from '../proxy/call.ts';
import { compilePattern, type PathMatcher } from './path-glob.ts';
import { type PolicyDocument, SAFE_METHODS } from './policy-schema.ts';

/**
 * The policy a call is checked against: its connection's, narrowed by its account's (and an MCP
 * session token's), compiled once and cached (policies-service.ts). It is the intersection of the
 * layers: a method must be allowed by every layer, a path must match an allow pattern of every
 * layer that lists some and no deny pattern of any, a tool must be in every layer's list; the
 * smallest body cap, burst and rate apply; approval is needed when any layer asks for it.
 */
export interface EffectivePolicy {
  readonly methods: ReadonlySet<string> | null;
  readonly readOnly: boolean;
  /** One list per layer that has `paths.allow`; a path must match one pattern of each. */
  readonly allow: readonly (readonly PathMatcher[])[];
  readonly deny: readonly PathMatcher[];
  readonly tools: ReadonlySet<string> | null;
  readonly toolsOnly: boolean;
  /** Token bucket: `capacity` tokens, refilled at `perMs` tokens a millisecond. */
  readonly rateLimit: { readonly capacity: number; readonly perMs: number } | null;
  readonly maxBodyBytes: number | null;
  readonly approval: {
    readonly methods: ReadonlySet<string>;
    readonly tools: ReadonlySet<string>;
    readonly paths: readonly PathMatcher[];
  } | null;
}

/** What a policy looks at in a call. */
export interface CallFacts {
  readonly method: string;
  /** Normalised, under proxy_url (`policyPath`). */
  readonly path: string;
  readonly door: Door;
  readonly toolName: string | undefined;
}

/** A refusal: the rule (`paths.deny`) and, for a pattern rule, the pattern. */
export interface PolicyRefusal {
  readonly rule: string;
  readonly pattern?: string;
}

/** The layers (connection first), compiled; null when there is none. */
export function compileEffective(layers: readonly PolicyDocument[]): EffectivePolicy | null {
  if (layers.length === 0) return null;
  let methods: Set<string> | null = null;
  let tools: Set<string> | null = null;
  let capacity = Infinity;
  let perMs = Infinity;
  let maxBodyBytes = Infinity;
  const allow: PathMatcher[][] = [];
  const deny: PathMatcher[] = [];
  const approvalMethods = new Set<string>();
  const approvalTools = new Set<string>();
  const approvalPaths: PathMatcher[] = [];
  let approval = false;
  for (const layer of layers) {
    if (layer.allowed_methods) methods = intersect(methods, layer.allowed_methods);
    if (layer.tools) tools = intersect(tools, layer.tools);
    if (layer.paths?.allow) allow.push(layer.paths.allow.map(compilePattern));
    for (const pattern of layer.paths?.deny ?? []) deny.push(compilePattern(pattern));
    if (layer.rate_limit) {
      capacity = Math.min(capacity, layer.rate_limit.requests);
      perMs = Math.min(perMs, layer.rate_limit.requests / (layer.rate_limit.per_seconds * 1000));
    }
    if (layer.max_request_body_bytes !== undefined) maxBodyBytes = Math.min(maxBodyBytes, layer.max_request_body_bytes);
    const required = layer.require_approval;
    if (required) {
      approval = true;
      for (const method of required.methods ?? []) approvalMethods.add(method);
      for (const tool of required.tools ?? []) approvalTools.add(tool);
      for (const pattern of required.paths ?? []) approvalPaths.push(compilePattern(pattern));
    }
  }
  return {
    methods,
    readOnly: layers.some((layer) => layer.read_only === true),
    allow,
    deny,
    tools,
    toolsOnly: layers.some((layer) => layer.tools_only === true),
    rateLimit: capacity === Infinity ? null : { capacity, perMs },
    maxBodyBytes: maxBodyBytes === Infinity ? null : maxBodyBytes,
    approval: approval ? { methods: approvalMethods, tools: approvalTools, paths: approvalPaths } : null,
  };
}

/** The first rule that refuses the call (body size and rate are checked by the step), or null. */
export function refusalOf(policy: EffectivePolicy, call: CallFacts): PolicyRefusal | null {
  if (policy.toolsOnly && call.toolName === undefined) return { rule: 'tools_only' };
  if (policy.tools !== null && call.toolName !== undefined && !policy.tools.has(call.toolName)) return { rule: 'tools' };
  if (policy.readOnly && !SAFE_METHODS.has(call.method)) return { rule: 'read_only' };
  if (policy.methods !== null && !policy.methods.has(call.method)) return { rule: 'allowed_methods' };
  for (const matcher of policy.deny) {
    if (matcher.test(call.path)) return { rule: 'paths.deny', pattern: matcher.pattern };
  }
  for (const layer of policy.allow) {
    if (!layer.some((matcher) => matcher.test(call.path))) return { rule: 'paths.allow' };
  }
  return null;
}

/** The require_approval rule that matches the call (`require_approval.methods`), or null. */
export function approvalRuleOf(policy: EffectivePolicy, call: CallFacts): { rule: string; pattern?: string } | null {
  const approval = policy.approval;
  if (approval === null) return null;
  if (approval.methods.has(call.method)) return { rule: 'require_approval.methods' };
  if (call.toolName !== undefined && approval.tools.has(call.toolName)) return { rule: 'require_approval.tools' };
  for (const matcher of approval.paths) {
    if (matcher.test(call.path)) return { rule: 'require_approval.paths', pattern: matcher.pattern };
  }
  return null;
}

function intersect(current: Set<string> | null, next: readonly string[]): Set<string> {
  if (current === null) return new Set(next);
  const wanted = new Set(next);
  return new Set([...current].filter((item) => wanted.has(item)));
}
