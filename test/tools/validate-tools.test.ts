import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateDefinition } from '../../src/connectors/validate-definition.ts';
import { toolContext } from '../../src/tools/tool-context.ts';
import { assertValidTool, toolListProblems, toolProblems } from '../../src/tools/validate-tools.ts';
import { issueTool, problemsOf } from './fixtures.ts';

const context = toolContext('acme', { type: 'API_KEY', fields: [], auth_header_key_override: 'X-Api-Key' } as never);
const problemsFor = (patch: (tool: Record<string, any>) => void, ctx = context) => {
  const tool = structuredClone(issueTool()) as Record<string, any>;
  patch(tool);
  return toolProblems(tool, ctx);
};

describe('tool definitions', () => {
  test('a valid tool has no problems, and gets its defaults', () => {
    const tool = structuredClone(issueTool()) as Record<string, any>;
    delete tool.request.body.encoding;
    assert.deepEqual(toolProblems(tool, context), []);
    assert.equal(tool.request.body.encoding, 'json');
  });

  const cases: Array<[string, (tool: Record<string, any>) => void, string, RegExp]> = [
    ['a name without the connector prefix', (t) => (t.name = 'github_issue_create'), '/name', /must start with acme_/],
    ['a name that is only the prefix', (t) => (t.name = 'acme_'), '/name', /must name an action/],
    ['a name with capitals', (t) => (t.name = 'acme_Issue'), '/name', /a-z, 0-9 and _/],
    ['a name over 64 characters', (t) => (t.name = `acme_${'x'.repeat(60)}`), '/name', /1–64/],
    ['a placeholder with no input property', (t) => (t.request.path = '/repos/{owner}/{repository}'), '/request/path', /\{repository\} names no property/],
    ['a placeholder on an optional property', (t) => (t.request.path = '/repos/{owner}/{body}'), '/request/path', /must be a required property/],
    ['a placeholder on an array property', (t) => {
      t.input_schema.required.push('labels');
      t.request.path = '/x/{labels}';
    }, '/request/path', /one path segment/],
    ['an absolute path', (t) => (t.request.path = 'https://evil.example/x'), '/request/path', /must start with \//],
    ['a scheme-relative path', (t) => (t.request.path = '//evil.example/x'), '/request/path', /must not start with \/\//],
    ['a path with ..', (t) => (t.request.path = '/repos/../admin'), '/request/path', /\. or \.\. segments/],
    ['a path with an encoded ..', (t) => (t.request.path = '/repos/%2e%2E/admin'), '/request/path', /\. or \.\. segments/],
    ['a path with an encoded slash', (t) => (t.request.path = '/repos%2Fadmin'), '/request/path', /encoded slash/],
    ['a path with a query', (t) => (t.request.path = '/repos?x=1'), '/request/path', /must not contain \? or #/],
    ['a path with a backslash', (t) => (t.request.path = '/repos\\x'), '/request/path', /backslash/],
    ['a path with a reserved expansion', (t) => (t.request.path = '/files/{+owner}'), '/request/path', /RFC 6570/],
    ['an unclosed placeholder', (t) => (t.request.path = '/files/{owner'), '/request/path', /\{ without a \}/],
    ['a query mapping naming no property', (t) => (t.request.query.page = { from: 'page' }), '/request/query/page/from', /names no property/],
    ['a mapping with both from and value', (t) => (t.request.query.page = { from: 'notify', value: 1 }), '/request/query/page', /exactly one of from/],
    ['a mapping with neither', (t) => (t.request.query.page = {}), '/request/query/page', /exactly one of from/],
    ['an object constant in a query', (t) => (t.request.query.page = { value: { a: 1 } }), '/request/query/page/value', /string, number or boolean/],
    ['a style on a constant', (t) => (t.request.query.page = { value: 1, style: 'comma' }), '/request/query/page/style', /input only/],
    ['the Authorization header', (t) => (t.request.headers.Authorization = { value: 'Bearer x' }), '/request/headers/Authorization', /never forwards/],
    ['the Cookie header', (t) => (t.request.headers.cookie = { from: 'body' }), '/request/headers/cookie', /never forwards/],
    ['the Proxy-Authorization header', (t) => (t.request.headers['Proxy-Authorization'] = { value: 'x' }), '/request/headers/Proxy-Authorization', /never forwards/],
    ['a hop-by-hop header', (t) => (t.request.headers['Transfer-Encoding'] = { value: 'chunked' }), '/request/headers/Transfer-Encoding', /never forwards/],
    ['the Host header', (t) => (t.request.headers.Host = { value: 'evil.example' }), '/request/headers/Host', /never forwards/],
    ["the connector's credential header override", (t) => (t.request.headers['x-api-key'] = { from: 'body' }), '/request/headers/x-api-key', /credential \(x-api-key\)/],
    ['a Content-Type header', (t) => (t.request.headers['Content-Type'] = { value: 'text/plain' }), '/request/headers/Content-Type', /request\.body/],
    ['a header name that is no token', (t) => (t.request.headers['X Bad'] = { value: 'x' }), '/request/headers/X Bad', /RFC 9110 token/],
    ['a header repeated in another case', (t) => (t.request.headers.accept = { value: 'x' }), '/request/headers/accept', /repeats the header/],
    ['a header constant with CR/LF', (t) => (t.request.headers['X-Note'] = { value: 'a\r\nb' }), '/request/headers/X-Note/value', /CR, LF/],
    ['a GET with a body', (t) => (t.request.method = 'GET'), '/request/body', /GET request carries no body/],
    ['a body with from and properties', (t) => (t.request.body.from = 'body'), '/request/body', /exactly one of from/],
    ['a text body without from', (t) => (t.request.body.encoding = 'text'), '/request/body', /needs from/],
    ['overlapping body members', (t) => (t.request.body.properties['fields/project'] = { from: 'body' }), '/request/body/properties', /overlap/],
    ['a malformed body pointer', (t) => (t.request.body.properties['/title'] = { from: 'title' }), '/request/body/properties/~1title', /relative JSON pointer/],
    ['a body member named __proto__', (t) => (t.request.body.properties['a/constructor'] = { from: 'title' }), '/request/body/properties/a~1constructor', /__proto__/],
    ['deep_object in a header', (t) => (t.request.headers['X-Trace-Id'] = { from: 'trace_id', style: 'deep_object' }), '/request/headers/X-Trace-Id/style', /query parameters and form/],
    ['an input_schema that is not an object', (t) => (t.input_schema.type = 'array'), '/input_schema/type', /must be "object"/],
    ['an invalid input_schema', (t) => (t.input_schema.properties.title.minLength = -1), '/input_schema/properties/title/minLength', /not valid JSON Schema 2020-12/],
    ['a remote $ref', (t) => (t.input_schema.properties.title = { $ref: 'https://evil.example/s.json' }), '/input_schema/properties/title/$ref', /local reference/],
    ['a $ref to nothing', (t) => (t.input_schema.properties.title = { $ref: '#/$defs/missing' }), '/input_schema/properties/title/$ref', /points at nothing/],
    ['a $id', (t) => (t.input_schema.$id = 'https://x.example/s'), '/input_schema/$id', /\$id is not allowed/],
    ['a pattern that does not compile', (t) => (t.input_schema.properties.title.pattern = '(('), '/input_schema/properties/title/pattern', /regular expression/],
    ['another $schema dialect', (t) => (t.input_schema.$schema = 'http://json-schema.org/draft-07/schema#'), '/input_schema/$schema', /2020-12/],
    ['an invalid output_schema', (t) => (t.output_schema = { type: 'nope' }), '/output_schema/type', /not valid JSON Schema/],
    ['a malformed output root', (t) => (t.output = { root: 'items' }), '/output/root', /JSON pointer/],
    ['a malformed output field', (t) => (t.output = { fields: ['a//b'] }), '/output/fields/0', /relative JSON pointer/],
    ['an unknown member', (t) => (t.requests = {}), '/requests', /not a known property/],
    ['an unknown method', (t) => (t.request.method = 'TRACE'), '/request/method', /must be one of/],
  ];
  for (const [what, patch, path, message] of cases) {
    test(`refuses ${what}, naming where`, () => {
      const problems = problemsFor(patch);
      assert.ok(problems.some((p) => p.path === path && message.test(p.message)), JSON.stringify(problems, null, 1));
    });
  }

  test('a credential query parameter (API_KEY with auth_query_param) is refused', () => {
    const queryContext = toolContext('acme', { type: 'API_KEY', fields: [], auth_query_param: 'api_key' } as never);
    const problems = problemsFor((t) => (t.request.query.api_key = { value: 'x' }), queryContext);
    assert.deepEqual(problems.map((p) => p.path), ['/request/query/api_key']);
  });

  test('a property named like a keyword is a name, not a keyword', () => {
    const problems = problemsFor((t) => {
      t.input_schema.properties.$ref = { type: 'string' };
      t.input_schema.properties.pattern = { type: 'string' };
    });
    assert.deepEqual(problems, []);
  });

  test('a list of tools reports repeated names and every problem of every tool', () => {
    const bad = { ...issueTool(), request: { method: 'GET', path: '/{nope}' } };
    const problems = toolListProblems([issueTool(), issueTool(), bad], context);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/tools/1/name', '/tools/2/request/path', '/tools/2/name'],
    );
  });

  test('assertValidTool throws TOOL_INVALID listing every problem', () => {
    const problems = problemsOf(() => assertValidTool({ name: 'x' }, context), 'TOOL_INVALID');
    assert.ok(problems.length >= 4, JSON.stringify(problems));
    assert.deepEqual(problemsOf(() => assertValidTool(JSON.parse('{"__proto__": {"polluted": 1}}'), context), 'TOOL_INVALID').map((p) => p.path), ['/__proto__']);
  });

  test('a connector definition carries tools, checked with the connector (prefix, credential header)', () => {
    const definition = {
      display_name: 'Acme',
      proxy_url: 'https://api.acme.example',
      auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password' }] }],
      tools: [issueTool(), { ...issueTool({ name: 'acme_other' }), request: { ...issueTool().request, headers: { authorization: { value: 'x' } } } }],
    };
    const result = validateDefinition(definition);
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((p) => p.path), ['/tools/1/request/headers/authorization']);
    const renamed = validateDefinition({ ...definition, tools: [issueTool()] }, { identifier: 'acme-2' });
    assert.deepEqual(!renamed.ok && renamed.problems.map((p) => p.message), ['must start with acme_2_ (the connector\'s identifier, then _ and the action)']);
    assert.equal(validateDefinition({ ...definition, tools: [issueTool()] }).ok, true);
  });

  test('the example in docs/connectors.md#tools is a valid tool', () => {
    const doc = readFileSync(new URL('../../docs/connectors.md', import.meta.url), 'utf8');
    const yaml = doc.slice(doc.indexOf('## Tools')).match(/```yaml\n([\s\S]*?)```/)![1]!;
    const result = validateDefinition({
      display_name: 'Acme',
      proxy_url: 'https://api.acme.example',
      auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password' }] }],
      ...parse(yaml),
    });
    assert.deepEqual(result.ok ? [] : result.problems, []);
  });
});
