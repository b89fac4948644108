import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';

const EXAMPLES = new URL('../../node_modules/@readme/oas-examples/', import.meta.url);
const petstoreJson = readFileSync(new URL('3.0/json/petstore.json', EXAMPLES), 'utf8');
const petstoreYaml = readFileSync(new URL('3.0/yaml/petstore.yaml', EXAMPLES), 'utf8');

let server: TestServer;
let upstream: Upstream;

before(async () => {
  upstream = await startUpstream((request, response) => {
    if (request.url === '/petstore.yaml') {
      response.writeHead(200, { 'content-type': 'application/yaml' });
      response.end(petstoreYaml);
    } else if (request.url === '/moved') {
      response.writeHead(302, { location: `${upstream.url}/petstore.yaml` });
      response.end();
    } else if (request.url === '/huge') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(30 * 1024 * 1024) });
      response.end('{');
    } else {
      json(response, 404, { message: 'Not Found' });
    }
  });
  server = await startTestServer({ database: await createSqliteDatabase() });
  const created = await server.api('POST', '/api/v1/custom-providers', {
    display_name: 'Petstore',
    proxy_url: 'https://petstore.example/v2',
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', input_type: 'password' }], auth_header_key_override: 'api_key' }],
  });
  assert.equal(created.status, 201, created.text);
});
after(async () => {
  await server.close();
  await upstream.close();
});

const importTools = (body: unknown, connector = 'petstore') => server.api('POST', `/api/v1/custom-providers/${connector}/tools/import`, body);

describe('POST /api/v1/custom-providers/{identifier}/tools/import', () => {
  test('a dry run says what would be created, and creates nothing', async () => {
    const dry = await importTools({ document: JSON.parse(petstoreJson), dry_run: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.dry_run, true);
    assert.deepEqual(dry.body.document, { title: 'Swagger Petstore', version: '1.0.0', specification: 'OpenAPI 3.0.0', operations: 20, selected: 20, path_prefix: '' });
    assert.equal(dry.body.created, 19);
    assert.deepEqual(dry.body.tools[0], { name: 'petstore_update_pet', method: 'PUT', path: '/pet', action: 'create' });
    assert.deepEqual(dry.body.skipped.map((s: { operation: string }) => s.operation), ['POST /pet/{petId}/uploadImage']);
    assert.equal((await server.api('GET', '/api/v1/tools?connector=petstore')).body.total_size, 0);
  });

  test('imports a JSON document, then the same as YAML changes nothing; include narrows', async () => {
    const first = await importTools({ document: petstoreJson });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual([first.body.created, first.body.updated, first.body.unchanged], [19, 0, 0]);
    const listed = await server.api('GET', '/api/v1/tools?connector=petstore&summary=true&page_size=100');
    assert.equal(listed.body.total_size, 19);
    const tool = (await server.api('GET', '/api/v1/tools/petstore_get_pet_by_id')).body.tool;
    assert.deepEqual([tool.metadata.origin, tool.metadata.request], ['openapi', { method: 'GET', path: '/pet/{petId}' }]);

    const again = await importTools({ document: petstoreYaml });
    assert.deepEqual([again.body.created, again.body.updated, again.body.unchanged], [0, 0, 19]);
    const some = await importTools({ document: petstoreJson, include: ['*Order*'], dry_run: true });
    assert.deepEqual(some.body.tools.map((t: { name: string }) => t.name), ['petstore_place_order', 'petstore_get_order_by_id', 'petstore_delete_order']);
  });

  test('fetches a document by URL through the egress policy; redirects and errors are clear', async () => {
    const fetched = await importTools({ url: `${upstream.url}/petstore.yaml`, dry_run: true });
    assert.equal(fetched.status, 200, fetched.text);
    assert.equal(fetched.body.tools.length, 19);
    const moved = await importTools({ url: `${upstream.url}/moved` });
    assert.deepEqual([moved.status, moved.body.error.code, moved.body.error.details], [422, 'OPENAPI_FETCH_FAILED', { reason: 'redirect', status: 302 }]);
    const missing = await importTools({ url: `${upstream.url}/nothing.json` });
    assert.deepEqual([missing.body.error.code, missing.body.error.details.status], ['OPENAPI_FETCH_FAILED', 404]);
    const huge = await importTools({ url: `${upstream.url}/huge` });
    assert.deepEqual([huge.status, huge.body.error.code], [413, 'OPENAPI_TOO_LARGE']);
    const scheme = await importTools({ url: 'file:///etc/passwd' });
    assert.equal(scheme.body.error.code, 'VALIDATION_FAILED');
  });

  test('a private address is refused when the egress policy does not allow it', async () => {
    const strict = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_EGRESS_ALLOW_CIDRS: '' } });
    try {
      await strict.api('POST', '/api/v1/custom-providers', { display_name: 'Strict', proxy_url: 'https://strict.example', auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token' }] }] });
      const before = upstream.received.length;
      const refused = await strict.api('POST', '/api/v1/custom-providers/strict/tools/import', { url: `${upstream.url}/petstore.yaml` });
      assert.deepEqual([refused.status, refused.body.error.code], [403, 'UPSTREAM_ADDRESS_FORBIDDEN']);
      assert.equal(upstream.received.length, before, 'nothing reached the private address');
    } finally {
      await strict.close();
    }
  });

  test('an external $ref is never fetched', async () => {
    const before = upstream.received.length;
    const document = {
      openapi: '3.0.3',
      info: { title: 'refs', version: '1' },
      paths: {
        '/things': { get: { operationId: 'listThings', responses: { 200: { description: 'ok' } }, parameters: [{ $ref: `${upstream.url}/param.json` }] } },
        '/other': { get: { operationId: 'other', responses: { 200: { description: 'ok' } } } },
      },
    };
    const result = await importTools({ document, dry_run: true, skip_validation: true });
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body.tools.map((t: { name: string }) => t.name), ['petstore_other']);
    assert.match(result.body.skipped[0].reason, /another document/);
    // The parser's validation does not resolve it either.
    const validated = await importTools({ document, dry_run: true });
    assert.ok([200, 422].includes(validated.status), validated.text);
    assert.equal(upstream.received.length, before);
  });

  test('bad documents and places: one clear code each', async () => {
    const invalid = await importTools({ document: { openapi: '3.0.3', info: { title: 'x' }, paths: { '/a': { get: {} } } } });
    assert.deepEqual([invalid.status, invalid.body.error.code], [422, 'OPENAPI_INVALID']);
    assert.ok(invalid.body.error.details.problems.length > 0);
    assert.equal((await importTools({ document: 'not: [yaml' })).body.error.code, 'OPENAPI_INVALID');
    assert.equal((await importTools({ document: { swagger: '1.2' } })).body.error.code, 'OPENAPI_INVALID');
    assert.equal((await importTools({})).body.error.code, 'VALIDATION_FAILED');
    assert.equal((await importTools({ document: petstoreJson, url: 'https://x.example/a.json' })).body.error.code, 'VALIDATION_FAILED');
    assert.equal((await importTools({ document: petstoreJson }, 'github')).body.error.code, 'TOOL_BUILT_IN');
    assert.equal((await importTools({ document: petstoreJson }, 'nope-nope')).body.error.code, 'CONNECTOR_NOT_FOUND');

    // Refused on its Content-Length, before the body is read: the request declares 40 MB and sends none of it.
    const token = await server.token();
    const early = await new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
      const request = http.request(`${server.url}/api/v1/custom-providers/petstore/tools/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(40 * 1024 * 1024) },
      });
      request.on('response', (response) => {
        resolve({ status: response.statusCode ?? 0, code: response.headers['x-toolproxy-error'] as string | undefined });
        response.resume();
        request.destroy();
      });
      request.on('error', reject);
      request.write('{');
    });
    assert.deepEqual(early, { status: 413, code: 'OPENAPI_TOO_LARGE' });
    const big = await importTools({ document: `{"openapi":"3.0.3","x":"${'a'.repeat(25 * 1024 * 1024)}"}` });
    assert.deepEqual([big.status, big.body.error.code], [413, 'OPENAPI_TOO_LARGE']);
  });
});
