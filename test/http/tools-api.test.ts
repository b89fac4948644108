import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueTool } from '../tools/fixtures.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;

const tool = (name: string, overrides: Record<string, unknown> = {}) => ({ ...issueTool({ name }), ...overrides });
const connector = (displayName: string, tools?: unknown[]) => ({
  display_name: displayName,
  proxy_url: 'https://api.acme.example/v1',
  auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
  ...(tools === undefined ? {} : { tools }),
});

before(async () => {
  server = await startTestServer({ database: await createSqliteDatabase() });
});
after(() => server.close());

describe('tools API', () => {
  test('a custom connector carries its tools; they are listed with a real total, filters, pages and summary mode', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', connector('Tooled', [tool('tooled_issue_create'), tool('tooled_issue_get', { display_name: 'Get an issue' }), tool('tooled_repo_list')]));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.provider.tools, undefined, 'the connector view does not carry its tools');

    const listed = await server.api('GET', '/api/v1/tools?connector=tooled&page_size=2');
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.total_size, 3);
    assert.deepEqual(listed.body.tools.map((t: { definition: { name: string } }) => t.definition.name), ['tooled_issue_create', 'tooled_issue_get']);
    const [first] = listed.body.tools;
    assert.equal(first.provider, 'tooled');
    assert.equal(first.is_default, false);
    assert.equal(first.metadata.origin, 'custom');
    assert.equal(first.metadata.version, 1);
    assert.deepEqual(first.metadata.request, issueTool().request);
    assert.deepEqual(first.definition.input_schema, issueTool().input_schema);
    const next = await server.api('GET', `/api/v1/tools?connector=tooled&page_size=2&page_token=${listed.body.next_page_token}`);
    assert.deepEqual(next.body.tools.map((t: { definition: { name: string } }) => t.definition.name), ['tooled_repo_list']);
    assert.equal(next.body.next_page_token, null);

    const summary = await server.api('GET', '/api/v1/tools?filter.provider=TOOLED&filter.summary=true&filter.query=get%20AN');
    assert.deepEqual([summary.body.tools, summary.body.tool_names, summary.body.total_size], [[], ['tooled_issue_get'], 1]);
    const named = await server.api('GET', '/api/v1/tools?tool_name=tooled_repo_list&tool_name=tooled_issue_get&summary=true');
    assert.deepEqual(named.body.tool_names, ['tooled_issue_get', 'tooled_repo_list']);
    assert.equal((await server.api('GET', '/api/v1/tools/tooled_repo_list')).body.tool.definition.name, 'tooled_repo_list');
  });

  test('custom tools CRUD on a custom connector: create, replace (version bump), delete', async () => {
    await server.api('POST', '/api/v1/custom-providers', connector('Crud'));
    const created = await server.api('POST', '/api/v1/custom-providers/crud/tools', tool('crud_thing_make'));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.tool.metadata.version, 1);

    const again = await server.api('POST', '/api/v1/custom-providers/crud/tools', tool('crud_thing_make'));
    assert.equal(again.body.error.code, 'TOOL_EXISTS');

    const replaced = await server.api('PUT', '/api/v1/custom-providers/crud/tools/crud_thing_make', { ...tool('crud_thing_make'), description: 'v2' });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual([replaced.body.tool.definition.description, replaced.body.tool.metadata.version], ['v2', 2]);
    const { name: _name, ...withoutName } = tool('crud_thing_make', { description: 'v3' });
    assert.equal((await server.api('PUT', '/api/v1/custom-providers/crud/tools/crud_thing_make', withoutName)).body.tool.metadata.version, 3);

    const renamed = await server.api('PUT', '/api/v1/custom-providers/crud/tools/crud_thing_make', tool('crud_other'));
    assert.equal(renamed.body.error.code, 'TOOL_INVALID');
    assert.match(renamed.body.error.details.problems[0].message, /cannot be renamed/);

    assert.equal((await server.api('DELETE', '/api/v1/custom-providers/crud/tools/crud_thing_make')).status, 204);
    const gone = await server.api('GET', '/api/v1/tools/crud_thing_make');
    assert.deepEqual([gone.status, gone.body.error.code], [404, 'TOOL_NOT_FOUND']);
    assert.equal((await server.api('DELETE', '/api/v1/custom-providers/crud/tools/crud_thing_make')).body.error.code, 'TOOL_NOT_FOUND');
  });

  test('bad tool definitions and places are refused with one clear code each', async () => {
    await server.api('POST', '/api/v1/custom-providers', connector('Refusals'));
    const invalid = await server.api('POST', '/api/v1/custom-providers/refusals/tools', { ...tool('refusals_x'), request: { method: 'GET', path: '/x/{nope}', headers: { Authorization: { value: 'x' } } } });
    assert.deepEqual([invalid.status, invalid.body.error.code], [422, 'TOOL_INVALID']);
    assert.deepEqual(invalid.body.error.details.problems.map((p: { path: string }) => p.path), ['/request/path', '/request/headers/Authorization']);
    const prefix = await server.api('POST', '/api/v1/custom-providers/refusals/tools', tool('other_x'));
    assert.match(prefix.body.error.details.problems[0].message, /must start with refusals_/);
    const builtIn = await server.api('POST', '/api/v1/custom-providers/github/tools', tool('github_x'));
    assert.deepEqual([builtIn.status, builtIn.body.error.code], [409, 'TOOL_BUILT_IN']);
    const unknown = await server.api('POST', '/api/v1/custom-providers/nope-nope/tools', tool('nope_nope_x'));
    assert.equal(unknown.body.error.code, 'CONNECTOR_NOT_FOUND');
    const notObject = await server.api('POST', '/api/v1/custom-providers/refusals/tools', '[1]');
    assert.equal(notObject.body.error.code, 'VALIDATION_FAILED');
    const inDefinition = await server.api('POST', '/api/v1/custom-providers', connector('Refusals Two', [tool('refusals_two_a'), tool('refusals_two_a')]));
    assert.deepEqual([inDefinition.status, inDefinition.body.error.code], [422, 'CONNECTOR_INVALID']);
    assert.deepEqual(inDefinition.body.error.details.problems.map((p: { path: string }) => p.path), ['/tools/1/name']);
    assert.equal((await server.api('GET', '/api/v1/custom-providers/refusals-two')).status, 404, 'nothing half-saved');
  });

  test("a connector's PUT with tools replaces its tool set, without tools keeps it; deleting the connector removes them", async () => {
    await server.api('POST', '/api/v1/custom-providers', connector('Setter', [tool('setter_a'), tool('setter_b')]));
    const names = async () => (await server.api('GET', '/api/v1/tools?connector=setter&summary=true')).body.tool_names;
    assert.equal((await server.api('PUT', '/api/v1/custom-providers/setter', connector('Setter'))).status, 200);
    assert.deepEqual(await names(), ['setter_a', 'setter_b']);
    const put = await server.api('PUT', '/api/v1/custom-providers/setter', connector('Setter', [tool('setter_b', { description: 'changed' }), tool('setter_c')]));
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await names(), ['setter_b', 'setter_c']);
    assert.equal((await server.api('GET', '/api/v1/tools/setter_b')).body.tool.metadata.version, 2);
    assert.equal((await server.api('DELETE', '/api/v1/custom-providers/setter')).status, 204);
    const left = await server.api('GET', '/api/v1/tools?tool_name=setter_b&tool_name=setter_c&summary=true');
    assert.deepEqual([left.body.tool_names, left.body.total_size], [[], 0]);
  });

  test('a second connector with the same display name gets a suffixed identifier, and its tool names must carry it', async () => {
    await server.api('POST', '/api/v1/custom-providers', connector('Twin'));
    const second = await server.api('POST', '/api/v1/custom-providers', connector('Twin', [tool('twin_a')]));
    assert.equal(second.body.error.code, 'CONNECTOR_INVALID');
    assert.match(second.body.error.details.problems[0].message, /must start with twin_[0-9a-f]{6}_/);
  });

  test('scoped lists what an identifier can call now; available lists every connection with its account status', async () => {
    await server.api('POST', '/api/v1/custom-providers', connector('Scoper', [tool('scoper_a'), tool('scoper_b')]));
    for (const name of ['scoper-one', 'scoper-two']) assert.equal((await server.api('POST', '/api/v1/connections', { name, connector: 'scoper' })).status, 201);
    const account = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'scoper-one',
      identifier: 'user-1',
      authorization_details: { static_auth: { details: { api_key: 'k' } } },
    });
    assert.equal(account.status, 201, account.text);

    const scoped = await server.api('GET', '/api/v1/tools/scoped?identifier=user-1&providers=scoper');
    assert.equal(scoped.status, 200, scoped.text);
    assert.equal(scoped.body.total_size, 2);
    assert.deepEqual(scoped.body.tools.map((t: any) => [t.tool.definition.name, t.connection_name, t.connected_account_id, t.identifier]), [
      ['scoper_a', 'scoper-one', account.body.connected_account.id, 'user-1'],
      ['scoper_b', 'scoper-one', account.body.connected_account.id, 'user-1'],
    ]);
    const filtered = await server.api('GET', '/api/v1/tools/scoped?identifier=user-1&filter.connection_names=scoper-two');
    assert.equal(filtered.body.total_size, 0);

    const available = await server.api('GET', '/api/v1/tools/available?identifier=user-1&providers=scoper&tool_names=scoper_a');
    assert.equal(available.body.total_size, 2);
    assert.deepEqual(available.body.tools.map((t: any) => [t.connection_name, t.account_status]).sort(), [['scoper-one', 'ACTIVE'], ['scoper-two', null]]);

    const missing = await server.api('GET', '/api/v1/tools/scoped');
    assert.equal(missing.body.error.code, 'VALIDATION_FAILED');
    const bad = await server.api('GET', '/api/v1/tools/scoped?identifier=a%0Ab');
    assert.equal(bad.body.error.code, 'INVALID_IDENTIFIER');
  });

  test('the OpenAPI document describes the tools routes', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    for (const path of ['/api/v1/tools', '/api/v1/tools/scoped', '/api/v1/tools/available', '/api/v1/tools/{name}', '/api/v1/custom-providers/{identifier}/tools', '/api/v1/custom-providers/{identifier}/tools/{name}', '/api/v1/custom-providers/{identifier}/tools/import']) {
      assert.ok(path in doc.paths, `${path} not in ${Object.keys(doc.paths).filter((p) => p.includes('tools'))}`);
    }
    assert.ok(Object.values(doc.components.schemas).some((schema) => (schema as { title?: string }).title === 'Tool'), 'the Tool schema');
    const schema = (await (await fetch(`${server.url}/api/connector-definition.schema.json`)).json()) as { properties: Record<string, { items?: { title?: string } }> };
    assert.equal(schema.properties['tools']?.items?.title, 'toolproxy tool definition');
  });

  test('tools routes need an app token', async () => {
    for (const path of ['/api/v1/tools', '/api/v1/tools/scoped?identifier=u', '/api/v1/tools/x_y']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 401, path);
    }
  });
});
