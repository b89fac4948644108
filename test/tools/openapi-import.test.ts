import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { joinUpstreamUrl, parseProxyBase } from '../../src/proxy/url-join.ts';
import { createToolAjv } from '../../src/tools/json-schema-ajv.ts';
import { planImport } from '../../src/tools/openapi-import/import-plan.ts';
import { includeFilter, snakeCase, toolNames, type Operation } from '../../src/tools/openapi-import/operations.ts';
import { parseDocumentText } from '../../src/tools/openapi-import/read-document.ts';
import { renderToolRequest } from '../../src/tools/render-request.ts';
import { toolContext } from '../../src/tools/tool-context.ts';
import { problemsOf } from './fixtures.ts';
import { sampleInput } from './sample-input.ts';

const EXAMPLES = new URL('../../node_modules/@readme/oas-examples/', import.meta.url);
const context = toolContext('acme', { type: 'BEARER', fields: [] } as never);
const PROXY_URL = 'https://api.acme.example';
const load = (path: string) => JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8')) as Record<string, unknown>;
const plan = (document: Record<string, unknown>, include: string[] = []) => planImport(document, { context, proxyUrl: PROXY_URL, include });

describe('OpenAPI import on ReadMe\'s published examples (Swagger 2.0, OpenAPI 3.0 and 3.1)', () => {
  const documents = ['2.0', '3.0', '3.1'].flatMap((version) =>
    readdirSync(new URL(`${version}/json/`, EXAMPLES))
      .filter((file) => file.endsWith('.json'))
      .map((file) => `${version}/json/${file}`),
  );

  test('every document converts; every tool compiles, and a sample input renders under proxy_url', () => {
    assert.ok(documents.length >= 55, `${documents.length} documents`);
    const base = parseProxyBase(PROXY_URL);
    const ajv = createToolAjv();
    let tools = 0;
    let rendered = 0;
    for (const path of documents) {
      const result = plan(load(path));
      for (const skip of result.skipped) assert.ok(skip.reason.length > 10, `${path}: ${skip.operation} has a reason`);
      for (const tool of result.tools) {
        tools += 1;
        const validate = ajv.compile(tool.input_schema);
        const input = sampleInput(tool.input_schema);
        const required = sampleInput(tool.input_schema, { optional: false });
        const candidate = validate(input) ? input : validate(required) ? required : undefined;
        if (candidate === undefined) continue;
        const request = renderToolRequest(tool, candidate);
        const url = new URL(joinUpstreamUrl(base, request.pathAndQuery));
        assert.equal(url.origin, 'https://api.acme.example', `${path} ${tool.name}`);
        rendered += 1;
      }
    }
    assert.ok(tools > 600, `${tools} tools`);
    assert.ok(rendered / tools > 0.9, `${rendered} of ${tools} sample inputs render`);
  });

  test('Swagger 2.0 petstore: body, array query (collectionFormat multi), form data, basePath; the file upload is skipped', () => {
    const result = plan(load('2.0/json/petstore.json'));
    assert.equal(result.document.specification, 'Swagger 2.0');
    assert.equal(result.document.path_prefix, '/v2');
    assert.deepEqual(result.skipped, [
      { operation: 'POST /pet/{petId}/uploadImage', operation_id: 'uploadFile', reason: 'takes a multipart/form-data body (file uploads), which tools cannot send' },
    ]);
    const byName = new Map(result.tools.map((tool) => [tool.name, tool]));
    assert.deepEqual(byName.get('acme_find_pets_by_status'), {
      name: 'acme_find_pets_by_status',
      display_name: 'Finds Pets by status',
      description: 'Finds Pets by status\n\nMultiple status values can be provided with comma separated strings',
      input_schema: {
        type: 'object',
        properties: {
          status: {
            type: 'array',
            items: { type: 'string', default: 'available', enum: ['available', 'pending', 'sold'] },
            description: 'Status values that need to be considered for filter',
          },
        },
        required: ['status'],
      },
      output_schema: byName.get('acme_find_pets_by_status')!.output_schema,
      annotations: { read_only_hint: true },
      tags: ['pet'],
      request: { method: 'GET', path: '/v2/pet/findByStatus', query: { status: { from: 'status' } } },
    });
    assert.equal((byName.get('acme_find_pets_by_status')!.output_schema as { type: string }).type, 'array');
    assert.equal(
      renderToolRequest(byName.get('acme_find_pets_by_status')!, { status: ['available', 'sold'] }).pathAndQuery,
      '/v2/pet/findByStatus?status=available&status=sold',
    );
    assert.deepEqual(byName.get('acme_update_pet_with_form')!.request, {
      method: 'POST',
      path: '/v2/pet/{petId}',
      body: { encoding: 'form', properties: { name: { from: 'name' }, status: { from: 'status' } } },
    });
    const form = renderToolRequest(byName.get('acme_update_pet_with_form')!, { petId: 7, name: 'Rex the 2nd' });
    assert.deepEqual([form.pathAndQuery, form.contentType, form.body!.toString()], ['/v2/pet/7', 'application/x-www-form-urlencoded', 'name=Rex+the+2nd']);
    const add = byName.get('acme_add_pet')!;
    assert.deepEqual(add.input_schema['required'], ['name', 'photoUrls']);
    assert.deepEqual(Object.keys(add.request.body!.properties!), ['id', 'category', 'name', 'photoUrls', 'tags', 'status']);
  });

  test('OpenAPI 3.0 petstore: path parameter, server base path, the credential header left out, JSON answer as output_schema', () => {
    const result = plan(load('3.0/json/petstore.json'));
    const byName = new Map(result.tools.map((tool) => [tool.name, tool]));
    const get = byName.get('acme_get_pet_by_id')!;
    assert.deepEqual([get.display_name, get.description, get.request], ['Find pet by ID', 'Find pet by ID\n\nReturns a single pet', { method: 'GET', path: '/v2/pet/{petId}' }]);
    assert.deepEqual(get.input_schema, {
      type: 'object',
      properties: { petId: { type: 'integer', format: 'int64', description: 'ID of pet to return' } },
      required: ['petId'],
    });
    const output = get.output_schema as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(Object.keys(output.properties), ['id', 'category', 'name', 'photoUrls', 'tags', 'status']);
    assert.deepEqual(output.required, ['name', 'photoUrls']);
    // api_key is the document's apiKey security scheme: the connector injects credentials, a tool never takes one.
    assert.deepEqual(byName.get('acme_delete_pet')!.input_schema['properties'], { petId: { type: 'integer', format: 'int64', description: 'Pet id to delete' } });
    assert.ok(result.warnings.some((w) => w.tool === 'acme_delete_pet' && /credential/.test(w.message)));
    // The request body of addPet has readOnly id: it is not an input.
    assert.equal('id' in (byName.get('acme_add_pet')!.input_schema['properties'] as object), false);
  });

  test('OpenAPI 3.1 documents convert (train-travel, petstore), and a document of webhooks only has no tools', () => {
    const travel = plan(load('3.1/json/train-travel.json'));
    assert.equal(travel.document.specification, 'OpenAPI 3.1.0');
    assert.ok(travel.tools.length >= 6 && travel.skipped.length === 0, JSON.stringify(travel.skipped));
    assert.deepEqual(plan(load('3.1/json/webhooks.json')).tools, []);
  });

  test('recursive schemas become $defs that compile (3.0 circular request bodies)', () => {
    const result = plan(load('3.0/json/circular-request-bodies.json'));
    const recursive = result.tools.filter((tool) => '$defs' in tool.input_schema);
    assert.ok(recursive.length > 0);
    for (const tool of recursive) createToolAjv().compile(tool.input_schema);
  });

  test('operations served from another host, GET bodies, multipart, matrix styles and cookies are skipped or left out with reasons', () => {
    const servers = plan(load('3.0/json/server-variables.json'));
    assert.ok(servers.skipped.every((s) => /is served from https:\/\/httpbin\.com/.test(s.reason)));
    const styles = plan(load('3.0/json/parameters-style.json'));
    assert.ok(styles.skipped.some((s) => /style matrix/.test(s.reason)), JSON.stringify(styles.skipped));
    assert.ok(styles.warnings.some((w) => /cookie/.test(w.message)));
    assert.ok(plan(load('3.0/json/schema-enums.json')).skipped.some((s) => /GET with a request body/.test(s.reason)));
  });

  test('include selects by operationId, tag or METHOD /path (globs, any case)', () => {
    const petstore = load('3.0/json/petstore.json');
    assert.deepEqual(plan(petstore, ['getPet*']).tools.map((t) => t.name), ['acme_get_pet_by_id']);
    assert.equal(plan(petstore, ['store']).tools.length, 4);
    assert.deepEqual(plan(petstore, ['delete /user/*']).tools.map((t) => t.name), ['acme_delete_user']);
    assert.equal(plan(petstore, ['nothing-matches']).tools.length, 0);
    assert.equal(plan(petstore, ['LOGIN?SER']).tools.length, 1);
  });

  test('a YAML document is read like its JSON', () => {
    const yaml = readFileSync(new URL('3.0/yaml/petstore.yaml', EXAMPLES), 'utf8');
    assert.deepEqual(plan(parseDocumentText(yaml)).tools, plan(load('3.0/json/petstore.json')).tools);
    assert.deepEqual(parseDocumentText(yaml), parse(yaml));
  });

  test('an invalid document gets OPENAPI_INVALID with the reason', () => {
    assert.match(problemsOf(() => parseDocumentText('{"openapi": '), 'OPENAPI_INVALID')[0]!.message, /not valid JSON/);
    assert.match(problemsOf(() => parseDocumentText('a: [unclosed'), 'OPENAPI_INVALID')[0]!.message, /not valid YAML/);
    assert.match(problemsOf(() => parseDocumentText('- just a list'), 'OPENAPI_INVALID')[0]!.message, /not a JSON or YAML object/);
    assert.match(problemsOf(() => plan({ openapi: '4.0.0', paths: {} }), 'OPENAPI_INVALID')[0]!.message, /not OpenAPI 3\.0, 3\.1 or Swagger 2\.0/);
    assert.match(problemsOf(() => plan({ openapi: '3.0.3' }), 'OPENAPI_INVALID')[0]!.message, /no paths/);
    // A YAML alias bomb is refused by the parser's alias limit, not expanded.
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    assert.equal(problemsOf(() => parseDocumentText(bomb), 'OPENAPI_INVALID').length, 1);
  });

  test('a document over the size limit is refused before it is parsed', () => {
    const huge = `{"openapi":"3.0.0","x":"${'a'.repeat(26 * 1024 * 1024)}"}`;
    const before = process.memoryUsage().heapUsed;
    assert.throws(() => parseDocumentText(huge), { code: 'OPENAPI_TOO_LARGE' });
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'nothing was parsed');
  });

  test('too many operations selected is OPENAPI_TOO_LARGE', () => {
    const paths = Object.fromEntries(Array.from({ length: 3001 }, (_, i) => [`/r${i}`, { get: { operationId: `get${i}`, responses: { 200: { description: 'ok' } } } }]));
    assert.throws(() => plan({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths }), { code: 'OPENAPI_TOO_LARGE' });
    assert.equal(plan({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths }, ['get1']).tools.length, 1);
  });
});

describe('tool names from operations', () => {
  const op = (operationId: string | undefined, method = 'get', path = '/x'): Operation =>
    ({ method, path, operationId, tags: [], label: `${method.toUpperCase()} ${path}`, pathItem: {}, operation: {} }) as Operation;

  test('snake_case from operationIds of every style', () => {
    assert.deepEqual(['repos/get', 'issues/create', 'getPetById', 'findPetsByStatus', 'HTMLParser', 'list-self-hosted-runners', 'v2.Users_List'].map(snakeCase), [
      'repos_get', 'issues_create', 'get_pet_by_id', 'find_pets_by_status', 'html_parser', 'list_self_hosted_runners', 'v2_users_list',
    ]);
  });

  test('unique, at most 64 characters, stable, and from method and path without an operationId', () => {
    const long = 'actions/get-fork-pr-contributor-approval-permissions-organization';
    const names = toolNames('github', [op('repos/get'), op('repos_get'), op(long), op(`${long}-x`), op(undefined, 'post', '/repos/{owner}/{repo}')]);
    assert.deepEqual(names.slice(0, 2), ['github_repos_get', 'github_repos_get_2']);
    assert.ok(names.every((name) => /^[a-z0-9_]{1,64}$/.test(name)), names.join(' '));
    assert.notEqual(names[2], names[3]);
    assert.match(names[2]!, /^github_actions_get_fork_pr_contributor_approval_permiss_[0-9a-f]{8}$/);
    assert.equal(names[4], 'github_post_repos_owner_repo');
    assert.deepEqual(toolNames('github', [op(long)]), [names[2]]);
  });

  test('the include filter with no pattern takes everything', () => {
    assert.equal(includeFilter([])(op('x')), true);
    assert.equal(includeFilter(['  '])(op('x')), true);
  });
});
