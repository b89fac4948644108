import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import { assertNarrows, wideningProblems } from '../../src/policy/narrowing.ts';
import { compilePattern, patternContains, policyPath } from '../../src/policy/path-glob.ts';
import { approvalRuleOf, type CallFacts, compileEffective, refusalOf } from '../../src/policy/effective-policy.ts';
import type { PolicyDocument } from '../../src/policy/policy-schema.ts';
import { parsePolicy, policyProblems } from '../../src/policy/validate-policy.ts';

const facts = (method: string, path: string, toolName?: string): CallFacts => ({ method, path, door: toolName ? 'tool' : 'proxy', toolName });
const paths = (problems: { path: string }[]) => problems.map((p) => p.path);

test('globs: * is one segment, ** any number of them (none included)', () => {
  const one = compilePattern('/v1/*');
  assert.ok(one.test('/v1/customers'));
  assert.ok(!one.test('/v1/a/b'));
  assert.ok(!one.test('/v1'));
  const any = compilePattern('/v1/customers/**');
  for (const path of ['/v1/customers', '/v1/customers/1', '/v1/customers/1/notes']) assert.ok(any.test(path), path);
  assert.ok(!any.test('/v1/customersX'));
  assert.ok(compilePattern('/v1/cus_*').test('/v1/cus_123'));
  assert.ok(compilePattern('/v1/**/items').test('/v1/a/b/items'));
  assert.ok(compilePattern('/a.b').test('/a.b') && !compilePattern('/a.b').test('/aXb'), 'dots are literal');
});

test('the matched path is under proxy_url, without the query, with unreserved escapes decoded and slashes collapsed', () => {
  assert.equal(policyPath('/base/v1/customers?limit=3', '/base'), '/v1/customers');
  assert.equal(policyPath('/base', '/base'), '/');
  assert.equal(policyPath('/v1/%61dmin//users', ''), '/v1/admin/users');
  assert.equal(policyPath('/v1/a%2Fb', ''), '/v1/a%2Fb', 'an encoded slash stays one segment');
});

test('pattern containment is sound: whatever the inner pattern matches, the outer matches too', () => {
  const segment = fc.constantFrom('a', 'b', 'cus_1', '*', '**', 'cus_*');
  const pattern = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`);
  const concrete = fc.array(fc.constantFrom('a', 'b', 'cus_1', 'cus_9', 'x'), { maxLength: 5 }).map((s) => `/${s.join('/')}`);
  fc.assert(
    fc.property(pattern, pattern, concrete, (outer, inner, path) => {
      if (patternContains(outer, inner) && compilePattern(inner).test(path)) return compilePattern(outer).test(path);
      return true;
    }),
    { numRuns: 3000 },
  );
  assert.ok(patternContains('/v1/**', '/v1/customers/*'));
  assert.ok(!patternContains('/v1/customers/*', '/v1/**'));
});

test('a valid policy parses, methods upper-cased', () => {
  const policy = parsePolicy({
    allowed_methods: ['get', 'POST'],
    paths: { allow: ['/v1/customers/**'], deny: ['/v1/admin/**'] },
    tools: ['github_issue_create'],
    rate_limit: { requests: 100, per_seconds: 60 },
    max_request_body_bytes: 1048576,
    require_approval: { methods: ['POST'], tools: ['github_issue_create'], paths: ['/v1/charges/**'] },
  });
  assert.deepEqual(policy.allowed_methods, ['GET', 'POST']);
  assert.deepEqual(parsePolicy({}), {});
});

test('each malformed or contradictory policy is refused with every problem listed', () => {
  const cases: [unknown, string[]][] = [
    ['read_only', ['']],
    [{ allowed_methods: [] }, ['/allowed_methods']],
    [{ allowed_methods: ['BREW'] }, ['/allowed_methods/0']],
    [{ allowed_methods: ['GET', 'get'] }, ['/allowed_methods/1']],
    [{ read_only: true, allowed_methods: ['GET', 'POST'] }, ['/allowed_methods/1']],
    [{ paths: { allow: ['/v1/admin/**'], deny: ['/v1/admin/**'] } }, ['/paths/allow/0']],
    [{ paths: { allow: ['v1/x'], deny: ['/a/b**', '/a/../b'] } }, ['/paths/allow/0', '/paths/deny/0', '/paths/deny/1']],
    [{ rate_limit: { requests: 0, per_seconds: 60 } }, ['/rate_limit/requests']],
    [{ rate_limit: { requests: 10, per_seconds: 0 } }, ['/rate_limit/per_seconds']],
    [{ rate_limit: { requests: 10 } }, ['/rate_limit/per_seconds']],
    [{ max_request_body_bytes: -1 }, ['/max_request_body_bytes']],
    [{ tools: [] }, ['/tools']],
    [{ unknown: 1 }, ['/unknown']],
    [{ allowed_methods: ['GET'], require_approval: { methods: ['DELETE'] } }, ['/require_approval/methods/0']],
    [{ tools: ['a'], require_approval: { tools: ['b'] } }, ['/require_approval/tools/0']],
    // A shape problem in one field does not hide a contradiction in the others.
    [{ read_only: true, allowed_methods: ['POST'], rate_limit: { requests: 0, per_seconds: 1 } }, ['/rate_limit/requests', '/allowed_methods/0']],
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(paths(policyProblems(value)), expected, JSON.stringify(value));
    assert.throws(() => parsePolicy(value), (error) => isToolproxyError(error) && error.code === 'POLICY_INVALID', JSON.stringify(value));
  }
});

const connection: PolicyDocument = {
  allowed_methods: ['GET', 'POST'],
  paths: { allow: ['/v1/**'], deny: ['/v1/admin/**'] },
  tools: ['a', 'b'],
  rate_limit: { requests: 100, per_seconds: 60 },
  max_request_body_bytes: 1000,
  require_approval: { methods: ['POST'] },
};

test('a narrowing policy that narrows is accepted', () => {
  assert.deepEqual(wideningProblems({ allowed_methods: ['GET'], paths: { allow: ['/v1/customers/*'] }, tools: ['a'], rate_limit: { requests: 10, per_seconds: 60 }, max_request_body_bytes: 10 }, connection), []);
  assert.deepEqual(wideningProblems({ read_only: true, paths: { deny: ['/v1/admin/**', '/v1/x'] } }, connection), []);
  assert.deepEqual(wideningProblems({ allowed_methods: ['DELETE'] }, null), [], 'no connection policy: anything narrows');
});

test('a narrowing policy that would widen is refused, naming every rule that widens', () => {
  const cases: [PolicyDocument, PolicyDocument, string[]][] = [
    [{ allowed_methods: ['GET', 'DELETE'] }, connection, ['/allowed_methods/1']],
    [{ allowed_methods: ['POST'] }, { read_only: true }, ['/allowed_methods/0']],
    [{ read_only: false }, { read_only: true }, ['/read_only']],
    [{ tools_only: false }, { tools_only: true }, ['/tools_only']],
    [{ paths: { allow: ['/v2/**'] } }, connection, ['/paths/allow/0']],
    [{ paths: { deny: ['/v1/other'] } }, connection, ['/paths/deny']],
    [{ tools: ['c'] }, connection, ['/tools/0']],
    [{ rate_limit: { requests: 200, per_seconds: 60 } }, connection, ['/rate_limit/requests', '/rate_limit']],
    [{ rate_limit: { requests: 100, per_seconds: 30 } }, connection, ['/rate_limit']],
    [{ max_request_body_bytes: 1001 }, connection, ['/max_request_body_bytes']],
    [{ require_approval: { tools: ['a'] } }, connection, ['/require_approval/methods']],
  ];
  for (const [narrow, parent, expected] of cases) {
    assert.deepEqual(paths(wideningProblems(narrow, parent)), expected, JSON.stringify(narrow));
  }
  assert.throws(() => assertNarrows({ max_request_body_bytes: 5000 }, connection), (error) => isToolproxyError(error) && error.code === 'POLICY_WIDENS');
});

test('the effective policy is the intersection of its layers', () => {
  const effective = compileEffective([connection, { allowed_methods: ['GET'], paths: { allow: ['/v1/customers/**'] }, rate_limit: { requests: 10, per_seconds: 1 } }])!;
  assert.equal(refusalOf(effective, facts('GET', '/v1/customers/1')), null);
  assert.deepEqual(refusalOf(effective, facts('POST', '/v1/customers/1')), { rule: 'allowed_methods' });
  assert.deepEqual(refusalOf(effective, facts('GET', '/v1/orders')), { rule: 'paths.allow' });
  assert.deepEqual(refusalOf(effective, facts('GET', '/v1/admin/x')), { rule: 'paths.deny', pattern: '/v1/admin/**' });
  assert.deepEqual(refusalOf(effective, facts('GET', '/v1/customers/1', 'c')), { rule: 'tools' });
  assert.deepEqual(effective.rateLimit, { capacity: 10, perMs: 100 / 60_000 }, 'the smaller burst and the slower rate');
  assert.equal(compileEffective([]), null);
  const toolsOnly = compileEffective([{ tools_only: true, read_only: true }])!;
  assert.deepEqual(refusalOf(toolsOnly, facts('GET', '/x')), { rule: 'tools_only' });
  assert.deepEqual(refusalOf(toolsOnly, facts('POST', '/x', 'a')), { rule: 'read_only' });
});

test('narrowing never lets through a call the connection refuses (property)', () => {
  const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT');
  const pattern = fc.constantFrom('/v1/**', '/v1/a/*', '/v1/admin/**', '/v2/**', '/v1/a/b');
  const policy = fc.record(
    {
      allowed_methods: fc.uniqueArray(method, { minLength: 1 }),
      read_only: fc.boolean(),
      paths: fc.record({ allow: fc.uniqueArray(pattern, { minLength: 1 }), deny: fc.uniqueArray(pattern) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );
  const path = fc.constantFrom('/v1', '/v1/a/b', '/v1/admin/x', '/v2/z', '/v1/a/c');
  fc.assert(
    fc.property(policy, policy, method, path, (parent, narrow, m, p) => {
      if (policyProblems(parent).length > 0 || policyProblems(narrow).length > 0) return true;
      const alone = compileEffective([parent])!;
      const both = compileEffective([parent, narrow])!;
      if (refusalOf(alone, facts(m, p)) !== null) assert.notEqual(refusalOf(both, facts(m, p)), null);
      return true;
    }),
    { numRuns: 1000 },
  );
});

test('the approval rule that matches a call, or null', () => {
  const effective = compileEffective([{ require_approval: { methods: ['DELETE'], tools: ['x_y'], paths: ['/v1/charges/**'] } }])!;
  assert.deepEqual(approvalRuleOf(effective, facts('DELETE', '/v1/a')), { rule: 'require_approval.methods' });
  assert.deepEqual(approvalRuleOf(effective, facts('GET', '/v1/a', 'x_y')), { rule: 'require_approval.tools' });
  assert.deepEqual(approvalRuleOf(effective, facts('GET', '/v1/charges/ch_1')), { rule: 'require_approval.paths', pattern: '/v1/charges/**' });
  assert.equal(approvalRuleOf(effective, facts('GET', '/v1/a')), null);
  assert.equal(approvalRuleOf(compileEffective([{ read_only: true }])!, facts('GET', '/v1/a')), null);
});
