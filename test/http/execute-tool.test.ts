import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase, withTestDatabases } from '../helpers/databases.ts';
import { type ApiResponse, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { CANARY, type ExecSetup, execUpstream, ITEM, setUpExec } from '../tools/exec-fixtures.ts';

/**
 * POST /api/v1/execute_tool (issue 12) against a real loopback upstream: the main flow on SQLite
 * and Postgres; every bad input of the "Done when" on SQLite, each with the upstream
 * asserting it received nothing.
 */

const databases = await withTestDatabases();
const answers: ApiResponse[] = [];

for (const database of databases) {
  describe(`execute_tool on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let setup: ExecSetup;
    const execute = (body: unknown) => server.api('POST', '/api/v1/execute_tool', body);

    before(async () => {
      upstream = await startUpstream(execUpstream);
      server = await startTestServer({ database, env: { TOOLPROXY_TOOL_OUTPUT_MAX_BYTES: '4096' }, onResponse: (r) => answers.push(r) });
      setup = await setUpExec(server, upstream.url);
    });
    after(async () => {
      await server.close();
      await upstream.close();
    });

    test('a tool call sends the rendered request with the injected credential and answers { data, execution_id }, projected', async () => {
      const answer = await execute({ tool_name: 'exec_item_get', params: { id: 'it 7', verbose: true, trace: 't-1' }, connection_name: 'exec', identifier: 'alice' });
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.body.execution_id, /^ex_/);
      assert.deepEqual(answer.body.data, { id: 'it 7', name: ITEM.name, owner: { login: 'ada' } }, 'only the projected fields');
      assert.equal(answer.body.truncated, undefined);
      const sent = upstream.received.at(-1)!;
      assert.equal(sent.method, 'GET');
      assert.equal(sent.url, '/v1/items/it%207?verbose=true');
      assert.equal(sent.headers['x-api-key'], CANARY);
      assert.equal(sent.headers['x-trace'], 't-1');

      // By connected account id, and by the reference's name for the connection; a JSON body.
      const created = await execute({ tool_name: 'exec_item_create', params: { name: 'New', tags: ['a', 'b'] }, connected_account_id: setup.accountId });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.body.data, { id: 'it_new', received: { name: 'New', tags: ['a', 'b'] } });
      assert.equal(upstream.received.at(-1)!.headers['content-type'], 'application/json');
      const viaConnector = await execute({ tool_name: 'exec_item_get', params: { id: 'x' }, connector: 'exec', identifier: 'alice', organization_id: 'org_1' });
      assert.equal(viaConnector.status, 200, viaConnector.text);

      const log = await server.api('GET', '/api/v1/request_log?door=tool');
      const entry = log.body.entries.find((e: { execution_id: string }) => e.execution_id === answer.body.execution_id);
      assert.ok(entry, log.text);
      assert.deepEqual([entry.door, entry.tool_name, entry.status, entry.connection_name, entry.identifier], ['tool', 'exec_item_get', 200, 'exec', 'alice']);
      assert.deepEqual(entry.actor, { type: 'api_client', id: server.clientId });
    });

    test('an answer over TOOLPROXY_TOOL_OUTPUT_MAX_BYTES is cut with a marker, still JSON with whole items', async () => {
      const answer = await execute({ tool_name: 'exec_items_list', connection_name: 'exec', identifier: 'alice' });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.truncated, true);
      assert.match(answer.body.truncation_note, /\/items: \d+ of 400 items kept/);
      assert.ok(answer.body.data.items.length > 0 && answer.body.data.items.length < 400);
      assert.ok(JSON.stringify(answer.body.data).length <= 4096);
      assert.deepEqual(Object.keys(answer.body.data.items[0]), ['id', 'name', 'pad']);
    });
  });
}

describe('execute_tool refusals (SQLite)', () => {
  let upstream: Upstream;
  let server: TestServer;
  let setup: ExecSetup;
  const execute = (body: unknown) => server.api('POST', '/api/v1/execute_tool', body);
  /** The call is refused with `status`/`code`, and the upstream received nothing. */
  const refused = async (body: unknown, status: number, code: string): Promise<ApiResponse> => {
    const before = upstream.received.length;
    const answer = await execute(body);
    assert.deepEqual([answer.status, answer.body?.error?.code], [status, code], answer.text);
    assert.equal(upstream.received.length, before, 'nothing was sent upstream');
    return answer;
  };
  const alice = { connection_name: 'exec', identifier: 'alice' };

  before(async () => {
    upstream = await startUpstream(execUpstream);
    server = await startTestServer({ database: await createSqliteDatabase(), onResponse: (r) => answers.push(r) });
    setup = await setUpExec(server, upstream.url);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('an unknown tool', async () => {
    await refused({ tool_name: 'exec_nope', params: {}, ...alice }, 404, 'TOOL_NOT_FOUND');
    await refused({ tool_name: 'NOT a name/../x', params: {}, ...alice }, 404, 'TOOL_NOT_FOUND');
  });

  test('invalid input lists every problem with its JSON pointer', async () => {
    const answer = await refused({ tool_name: 'exec_item_create', params: { tags: ['ok', 3], count: -1, colour: 'red' }, ...alice }, 400, 'TOOL_INPUT_INVALID');
    const paths = answer.body.error.details.problems.map((p: { path: string }) => p.path).sort();
    assert.deepEqual(paths, ['/colour', '/count', '/name', '/tags/1']);
    // The refusal is in the request log, with the tool and the execution id it was answered with.
    const log = await server.api('GET', '/api/v1/request_log?door=tool&tool_name=exec_item_create');
    const entry = log.body.entries.find((e: { execution_id: string }) => e.execution_id === answer.body.error.details.execution_id);
    assert.deepEqual([entry?.status, entry?.error_code, entry?.method, entry?.connection_name], [400, 'TOOL_INPUT_INVALID', 'POST', 'exec']);
    const notObject = await refused({ tool_name: 'exec_item_create', params: [1], ...alice }, 400, 'TOOL_INPUT_INVALID');
    assert.deepEqual(notObject.body.error.details.problems, [{ path: '', message: 'must be an object of named inputs' }]);
  });

  test('a path parameter that would leave its segment: ../, %2F, //host, CRLF', async () => {
    for (const id of ['../admin', '..', 'a%2Fb', 'a%2fb', '//evil.example', 'a/b', 'x\r\nHost: evil.example', 'x\u0000']) {
      const answer = await refused({ tool_name: 'exec_item_get', params: { id }, ...alice }, 400, 'TOOL_INPUT_INVALID');
      assert.equal(answer.body.error.details.problems[0].path, '/id', JSON.stringify(id));
    }
  });

  test('a header value with CRLF', async () => {
    const answer = await refused({ tool_name: 'exec_item_get', params: { id: 'a', trace: 'x\r\nX-API-Key: stolen' }, ...alice }, 400, 'TOOL_INPUT_INVALID');
    assert.equal(answer.body.error.details.problems[0].path, '/trace');
  });

  test('an account that is not ACTIVE is refused with the authorization link hint', async () => {
    const answer = await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connection_name: 'exec', identifier: 'bob' }, 409, 'ACCOUNT_NOT_ACTIVE');
    assert.equal(answer.body.error.details.status, 'PENDING_AUTH');
    assert.equal(answer.body.error.details.authorization_link, 'POST /api/v1/connected_accounts/magic_link');
    assert.match(answer.body.error.details.execution_id, /^ex_/);
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connection_name: 'exec', identifier: 'nobody' }, 404, 'ACCOUNT_NOT_FOUND');
  });

  test('a tool of another connection, by name or by account id', async () => {
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connection_name: 'other', identifier: 'alice' }, 400, 'TOOL_CONNECTION_MISMATCH');
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connected_account_id: setup.otherAccountId }, 400, 'TOOL_CONNECTION_MISMATCH');
  });

  test('an account outside the organization or user given is not found', async () => {
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, ...alice, organization_id: 'org_2' }, 404, 'ACCOUNT_NOT_FOUND');
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connected_account_id: setup.accountId, user_id: 'usr_9' }, 404, 'ACCOUNT_NOT_FOUND');
  });

  test('a missing or doubled account target, and unknown fields', async () => {
    const none = await refused({ tool_name: 'exec_item_get', params: { id: 'a' } }, 400, 'VALIDATION_FAILED');
    assert.deepEqual(none.body.error.details.problems.map((p: { path: string }) => p.path), ['/connection_name', '/identifier']);
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connected_account_id: setup.accountId, ...alice }, 400, 'VALIDATION_FAILED');
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, connection_name: 'exec', identifier: ' alice' }, 400, 'VALIDATION_FAILED');
    await refused({ tool_name: 'exec_item_get', params: { id: 'a' }, ...alice, toolInput: {} }, 400, 'VALIDATION_FAILED');
  });

  test('upstream failures keep their meaning: 401, 403, 404, 429 with Retry-After, 5xx', async () => {
    const cases: Array<[number, number, string]> = [
      [401, 424, 'TOOL_UNAUTHORIZED'],
      [403, 424, 'TOOL_FORBIDDEN'],
      [404, 424, 'TOOL_UPSTREAM_REJECTED'],
      [429, 429, 'TOOL_RATE_LIMITED'],
      [500, 502, 'TOOL_UPSTREAM_FAILED'],
      [503, 502, 'TOOL_UPSTREAM_FAILED'],
    ];
    for (const [upstreamStatus, status, code] of cases) {
      const answer = await execute({ tool_name: 'exec_status', params: { code: upstreamStatus }, ...alice });
      assert.deepEqual([answer.status, answer.body.error.code], [status, code], answer.text);
      const details = answer.body.error.details;
      assert.equal(details.status, upstreamStatus);
      assert.deepEqual(details.body, { error: { message: `upstream said ${upstreamStatus}` } });
      assert.match(details.execution_id, /^ex_/);
      assert.equal(details.tool_name, 'exec_status');
      if (upstreamStatus === 401) assert.equal(details.authorization_link, 'POST /api/v1/connected_accounts/magic_link');
      if (upstreamStatus === 429) {
        assert.equal(answer.headers.get('retry-after'), '17');
        assert.equal(details.retry_after_seconds, 17);
      }
    }
    assert.ok(!server.logs.some((line) => line.includes('upstream said')), "the upstream's answer is never logged");
  });

  test('a caller that leaves aborts the upstream call, recorded as CLIENT_CLOSED', async () => {
    const leaving = new AbortController();
    const before = upstream.received.length;
    const call = fetch(`${server.url}/api/v1/execute_tool`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool_name: 'exec_item_get', params: { id: 'hang' }, ...alice }),
      signal: leaving.signal,
    });
    for (let i = 0; i < 200 && upstream.received.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(upstream.received.at(-1)?.url, '/v1/items/hang');
    leaving.abort();
    await assert.rejects(call);
    let entry: { status: number; error_code: string } | undefined;
    for (let i = 0; i < 200 && entry === undefined; i++) {
      const log = await server.api('GET', '/api/v1/request_log?door=tool&tool_name=exec_item_get');
      entry = log.body.entries.find((e: { error_code: string }) => e.error_code === 'CLIENT_CLOSED');
      if (entry === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual([entry?.status, entry?.error_code], [499, 'CLIENT_CLOSED']);
  });

  test('the route is in the OpenAPI document with its body and answer', async () => {
    const document = await server.api('GET', '/api/openapi.json');
    const operation = document.body.paths['/api/v1/execute_tool'].post;
    assert.ok(operation.requestBody, 'a documented body');
    assert.deepEqual(Object.keys(operation.responses['200'].content['application/json'].schema.properties).sort(), ['data', 'execution_id', 'truncated', 'truncation_note']);
  });

  test('the canary credential appears in no answer, and in no log line', async () => {
    const log = await server.api('GET', '/api/v1/request_log?door=tool');
    assert.ok(log.body.entries.length > 0);
    for (const answer of answers) assert.ok(!answer.text.includes(CANARY), `the canary leaked in ${answer.text.slice(0, 200)}`);
    assert.ok(!server.logs.some((line) => line.includes(CANARY)), 'the canary is in a log line');
  });
});
