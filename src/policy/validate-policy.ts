import { schemaProblems } from '../connectors/schema-problems.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import { isProxyMethod } from '../proxy/header-policy.ts';
import { patternProblem } from './path-glob.ts';
import { type PolicyDocument, PolicyDocumentSchema, SAFE_METHODS } from './policy-schema.ts';

/**
 * A policy document checked in full: its shape (TypeBox), then what the shape cannot say (known
 * methods, valid patterns, no duplicates) and what contradicts itself (read_only with a write
 * method, a pattern both allowed and denied, an approval rule that can never match). Every
 * problem is listed; methods come back upper-cased.
 */
export function parsePolicy(value: unknown): PolicyDocument {
  const problems = policyProblems(value);
  if (problems.length > 0) throw new ToolproxyError('POLICY_INVALID', { details: { problems } });
  const policy = structuredClone(value) as PolicyDocument;
  if (policy.allowed_methods) policy.allowed_methods = policy.allowed_methods.map((m) => m.toUpperCase());
  if (policy.require_approval?.methods) policy.require_approval.methods = policy.require_approval.methods.map((m) => m.toUpperCase());
  return policy;
}

export function policyProblems(value: unknown): Problem[] {
  const shape = schemaProblems(PolicyDocumentSchema, value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return shape;
  // The fields whose shape is right are checked further, so one call lists every problem.
  const policy = Object.fromEntries(
    Object.entries(value).filter(([key]) => !shape.some((problem) => problem.path === `/${key}` || problem.path.startsWith(`/${key}/`))),
  ) as PolicyDocument;
  const problems: Problem[] = [...shape];
  const methods = policy.allowed_methods?.map((m) => m.toUpperCase());
  checkMethods(methods, '/allowed_methods', problems);
  checkUnique(policy.paths?.allow, '/paths/allow', problems);
  checkUnique(policy.paths?.deny, '/paths/deny', problems);
  checkUnique(policy.tools, '/tools', problems);
  for (const [list, base] of [[policy.paths?.allow, '/paths/allow'], [policy.paths?.deny, '/paths/deny'], [policy.require_approval?.paths, '/require_approval/paths']] as const) {
    list?.forEach((pattern, index) => {
      const problem = patternProblem(pattern);
      if (problem !== undefined) problems.push({ path: `${base}/${index}`, message: problem });
    });
  }
  if (policy.read_only === true && methods) {
    methods.forEach((method, index) => {
      if (!SAFE_METHODS.has(method)) problems.push({ path: `/allowed_methods/${index}`, message: `${method} contradicts read_only, which allows only GET, HEAD and OPTIONS` });
    });
  }
  const denied = new Set(policy.paths?.deny ?? []);
  policy.paths?.allow?.forEach((pattern, index) => {
    if (denied.has(pattern)) problems.push({ path: `/paths/allow/${index}`, message: `${pattern} is both allowed and denied` });
  });
  checkApproval(policy, methods, problems);
  return problems;
}

function checkApproval(policy: PolicyDocument, methods: string[] | undefined, problems: Problem[]): void {
  const approval = policy.require_approval;
  if (!approval) return;
  const approvalMethods = approval.methods?.map((m) => m.toUpperCase());
  checkMethods(approvalMethods, '/require_approval/methods', problems);
  checkUnique(approval.tools, '/require_approval/tools', problems);
  checkUnique(approval.paths, '/require_approval/paths', problems);
  const allowed = new Set(methods ?? []);
  approvalMethods?.forEach((method, index) => {
    const never = (methods !== undefined && !allowed.has(method)) || (policy.read_only === true && !SAFE_METHODS.has(method));
    if (never) problems.push({ path: `/require_approval/methods/${index}`, message: `${method} is never allowed by this policy, so it can never need approval` });
  });
  const tools = policy.tools === undefined ? undefined : new Set(policy.tools);
  approval.tools?.forEach((tool, index) => {
    if (tools !== undefined && !tools.has(tool)) problems.push({ path: `/require_approval/tools/${index}`, message: `${tool} is not in tools, so it can never need approval` });
  });
}

function checkMethods(methods: string[] | undefined, base: string, problems: Problem[]): void {
  methods?.forEach((method, index) => {
    if (!isProxyMethod(method)) problems.push({ path: `${base}/${index}`, message: `${method} is not a method the proxy forwards (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)` });
  });
  checkUnique(methods, base, problems);
}

function checkUnique(list: readonly string[] | undefined, base: string, problems: Problem[]): void {
  const seen = new Set<string>();
  list?.forEach((item, index) => {
    if (seen.has(item)) problems.push({ path: `${base}/${index}`, message: `${item} is listed twice` });
    seen.add(item);
  });
}
