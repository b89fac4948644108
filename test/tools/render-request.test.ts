import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { joinUpstreamUrl, parseProxyBase } from '../../src/proxy/url-join.ts';
import { renderToolRequest } from '../../src/tools/render-request.ts';
import type { ToolDefinition } from '../../src/tools/definition-schema.ts';
import { issueTool, problemsOf } from './fixtures.ts';

const base = parseProxyBase('https://api.acme.example/v3');
const segmentTool = (path: string): ToolDefinition =>
  issueTool({
    input_schema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'] },
    request: { method: 'GET', path },
  });

describe('renderToolRequest', () => {
  test('renders method, path, query, headers and a JSON body from the input', () => {
    const rendered = renderToolRequest(issueTool(), {
      owner: 'octo cat',
      repo: 'hello-world',
      title: 'Found a bug',
      labels: ['bug', 'p1'],
      milestone: null,
      notify: false,
      trace_id: 'abc-123',
      project_key: 'OPS',
    });
    assert.equal(rendered.method, 'POST');
    assert.equal(rendered.pathAndQuery, '/repos/octo%20cat/hello-world/issues?notify=false&source=toolproxy');
    assert.deepEqual(rendered.headers, { 'x-trace-id': 'abc-123', accept: 'application/json' });
    assert.equal(rendered.contentType, 'application/json');
    assert.deepEqual(JSON.parse(rendered.body!.toString()), {
      title: 'Found a bug',
      labels: ['bug', 'p1'],
      milestone: null,
      fields: { project: { key: 'OPS' } },
    });
    assert.equal(joinUpstreamUrl(base, rendered.pathAndQuery), 'https://api.acme.example/v3/repos/octo%20cat/hello-world/issues?notify=false&source=toolproxy');
  });

  test('leaves absent optional inputs out of the query, headers and body', () => {
    const rendered = renderToolRequest(issueTool(), { owner: 'o', repo: 'r', title: 't' });
    assert.equal(rendered.pathAndQuery, '/repos/o/r/issues?source=toolproxy');
    assert.deepEqual(rendered.headers, { accept: 'application/json' });
    assert.deepEqual(JSON.parse(rendered.body!.toString()), { title: 't' });
  });

  test('repeats an array query key by default, joins it with commas when the template says so', () => {
    const tool = issueTool({
      input_schema: { type: 'object', properties: { ids: { type: 'array' }, tags: { type: 'array' }, filter: { type: 'object' } } },
      request: {
        method: 'GET',
        path: '/items',
        query: { id: { from: 'ids' }, tags: { from: 'tags', style: 'comma' }, filter: { from: 'filter', style: 'deep_object' } },
      },
    });
    const rendered = renderToolRequest(tool, { ids: [1, 2], tags: ['a b', 'c,d'], filter: { state: 'open', n: 3, skip: null } });
    assert.equal(rendered.pathAndQuery, '/items?id=1&id=2&tags=a%20b%2Cc%2Cd&filter%5Bstate%5D=open&filter%5Bn%5D=3');
    assert.equal(rendered.body, null);
    assert.equal(rendered.contentType, null);
  });

  test('encodes a form body, text and binary bodies', () => {
    const form = renderToolRequest(
      issueTool({
        input_schema: { type: 'object', properties: { amount: { type: 'integer' }, expand: { type: 'array' }, metadata: { type: 'object' } } },
        request: {
          method: 'POST',
          path: '/v1/charges',
          body: { encoding: 'form', properties: { amount: { from: 'amount' }, 'expand[]': { from: 'expand' }, metadata: { from: 'metadata', style: 'deep_object' } } },
        },
      }),
      { amount: 500, expand: ['customer', 'invoice'], metadata: { order: 'A 1' } },
    );
    assert.equal(form.contentType, 'application/x-www-form-urlencoded');
    assert.equal(form.body!.toString(), 'amount=500&expand%5B%5D=customer&expand%5B%5D=invoice&metadata%5Border%5D=A+1');

    const textTool = issueTool({
      input_schema: { type: 'object', properties: { text: { type: 'string' }, file: { type: 'string' } } },
      request: { method: 'POST', path: '/markdown/raw', body: { encoding: 'text', from: 'text', content_type: 'text/x-markdown' } },
    });
    const text = renderToolRequest(textTool, { text: 'Hello **world** é' });
    assert.equal(text.contentType, 'text/x-markdown');
    assert.equal(text.body!.toString('utf8'), 'Hello **world** é');

    const binaryTool = issueTool({ ...textTool, request: { method: 'POST', path: '/upload', body: { encoding: 'binary', from: 'file' } } });
    const binary = renderToolRequest(binaryTool, { file: Buffer.from([0, 1, 254, 255]).toString('base64') });
    assert.equal(binary.contentType, 'application/octet-stream');
    assert.deepEqual([...binary.body!], [0, 1, 254, 255]);
    assert.deepEqual(problemsOf(() => renderToolRequest(binaryTool, { file: 'not base64!' })), [
      { path: '/file', message: 'must be base64 (RFC 4648 §4): it is the binary request body' },
    ]);
  });

  test('a whole-body mapping sends the input property as the JSON body', () => {
    const tool = issueTool({
      input_schema: { type: 'object', properties: { payload: { type: 'array' } } },
      request: { method: 'PUT', path: '/batch', body: { encoding: 'json', from: 'payload' } },
    });
    assert.equal(renderToolRequest(tool, { payload: [{ a: 1 }] }).body!.toString(), '[{"a":1}]');
    assert.equal(renderToolRequest(tool, {}).body, null);
  });

  const refusedSegments: Array<[string, RegExp]> = [
    ['', /must not be empty/],
    ['.', /must not be \. or \.\./],
    ['..', /must not be \. or \.\./],
    ['../admin', /must not contain \/ or \\/],
    ['a/b', /must not contain \/ or \\/],
    ['//evil.example', /must not contain \/ or \\/],
    ['a\\b', /must not contain \/ or \\/],
    ['..%2Fadmin', /encoded slash/],
    ['%2f', /encoded slash/],
    ['%5C', /encoded slash/],
    ['%5c..', /encoded slash/],
    ['a\r\nHost: evil', /control characters/],
    ['a\nb', /control characters/],
    ['a\u0000', /control characters/],
    ['a\u0085', /control characters/],
    ['\ud800', /valid Unicode/],
  ];
  for (const [value, why] of refusedSegments) {
    test(`refuses the path parameter ${JSON.stringify(value)} with its JSON pointer`, () => {
      const problems = problemsOf(() => renderToolRequest(segmentTool('/files/{a}'), { a: value }));
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.path, '/a');
      assert.match(problems[0]!.message, why);
    });
  }

  test('refuses a path parameter that is missing, an object or an array', () => {
    for (const value of [undefined, null, { x: 1 }, ['a']]) {
      const problems = problemsOf(() => renderToolRequest(segmentTool('/files/{a}'), value === undefined ? {} : { a: value }));
      assert.equal(problems[0]!.path, '/a');
    }
  });

  test('refuses a value that, next to a literal dot, would spell a dot segment', () => {
    const problems = problemsOf(() => renderToolRequest(segmentTool('/x/{a}.'), { a: '.' }));
    assert.deepEqual(problems.map((p) => p.path), ['/a']);
    assert.equal(renderToolRequest(segmentTool('/x/{a}.'), { a: 'v1' }).pathAndQuery, '/x/v1.');
  });

  test('refuses a value that is a dot segment with a path parameter (.;  ..;x), as the URL joiner would', () => {
    for (const a of ['.;', '..;', '..;x', '.;a=b']) {
      assert.deepEqual(problemsOf(() => renderToolRequest(segmentTool('/x/{a}'), { a })).map((p) => p.path), ['/a'], a);
    }
    assert.equal(renderToolRequest(segmentTool('/x/{a}'), { a: 'a;b' }).pathAndQuery, '/x/a%3Bb');
  });

  test('refuses a header value with CR, LF or other control characters, naming the input', () => {
    for (const value of ['a\r\nX-Evil: 1', 'a\nb', 'a\u0000', 'a\u0007', 'emoji 😀']) {
      const problems = problemsOf(() => renderToolRequest(issueTool(), { owner: 'o', repo: 'r', title: 't', trace_id: value }));
      assert.deepEqual(problems.map((p) => p.path), ['/trace_id']);
      assert.match(problems[0]!.message, /control characters/);
    }
  });

  test('lists every problem at once', () => {
    const problems = problemsOf(() => renderToolRequest(issueTool(), { owner: '..', repo: 'a/b', title: 't', trace_id: 'x\r\n' }));
    assert.deepEqual(problems.map((p) => p.path), ['/owner', '/repo', '/trace_id']);
  });

  test('ignores inherited properties of the input', () => {
    const input = Object.create({ trace_id: 'inherited' }) as Record<string, unknown>;
    Object.assign(input, { owner: 'o', repo: 'r', title: 't' });
    assert.deepEqual(renderToolRequest(issueTool(), input).headers, { accept: 'application/json' });
  });

  test('property: a path value is one segment under proxy_url, or refused', () => {
    const tool = segmentTool('/files/{a}/raw');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('..', '.', '%2e%2e', '%2F', '//x', '\\', 'a;b', '.;', '..;x', '?x=1', '#f', '@h')), (value) => {
        let rendered;
        try {
          rendered = renderToolRequest(tool, { a: value });
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'TOOL_INPUT_INVALID');
          return;
        }
        const url = new URL(joinUpstreamUrl(base, rendered.pathAndQuery));
        assert.equal(url.origin, 'https://api.acme.example');
        const segments = url.pathname.split('/');
        assert.deepEqual(segments.slice(0, 3), ['', 'v3', 'files']);
        assert.equal(segments.length, 5, url.pathname);
        assert.equal(segments[4], 'raw');
        assert.equal(decodeURIComponent(segments[3]!), value);
        assert.equal(url.search, '');
      }),
      { numRuns: 2000 },
    );
  });

  test('property: query values round-trip and never add parameters', () => {
    const tool = issueTool({
      input_schema: { type: 'object', properties: { q: { type: 'string' } } },
      request: { method: 'GET', path: '/search', query: { q: { from: 'q' }, page: { value: 1 } } },
    });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (q) => {
        const rendered = renderToolRequest(tool, { q });
        const url = new URL(joinUpstreamUrl(base, rendered.pathAndQuery));
        assert.deepEqual([...url.searchParams.keys()], ['q', 'page']);
        assert.equal(url.searchParams.get('q'), q);
      }),
      { numRuns: 1000 },
    );
  });
});
