import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  ScalekitBadRequestException,
  ScalekitClient,
  ScalekitNotFoundException,
  ScalekitToolException,
  ScalekitToolForbiddenException,
  ScalekitToolRateLimitException,
  ScalekitToolUnauthorizedException,
} from '@scalekit-sdk/node';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { CANARY, type ExecSetup, execUpstream, ITEM, setUpExec } from '../tools/exec-fixtures.ts';

/**
 * ToolService over gRPC with the official `@scalekit-sdk/node` (the real package, unchanged):
 * `actions.executeTool` both ways the reference documents, `tools.listScopedTools`, the other
 * listings and the custom-tool RPCs, and upstream failures as the SDK's typed tool exceptions.
 */

let upstream: Upstream;
let server: TestServer;
let client: ScalekitClient;
let setup: ExecSetup;
const seen: unknown[] = [];

async function failure(call: Promise<unknown>): Promise<any> {
  try {
    seen.push(await call);
  } catch (error) {
    seen.push(error);
    return error;
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  upstream = await startUpstream(execUpstream);
  server = await startTestServer({ dualProtocol: true });
  setup = await setUpExec(server, upstream.url);
  client = new ScalekitClient(server.url, server.clientId, server.clientSecret);
});
after(async () => {
  await server.close();
  await upstream.close();
});

describe('actions.executeTool', () => {
  test('with connectedAccountId, and with identifier + connector: the upstream answers through the proxy', async () => {
    const byId = await client.actions.executeTool({ toolName: 'exec_item_get', toolInput: { id: 'it_9', trace: 'sdk' }, connectedAccountId: setup.accountId });
    seen.push(byId);
    assert.deepEqual(byId.data, { id: 'it_9', name: ITEM.name, owner: { login: 'ada' } });
    assert.match(byId.executionId, /^ex_/);
    const sent = upstream.received.at(-1)!;
    assert.deepEqual([sent.method, sent.url, sent.headers['x-api-key'], sent.headers['x-trace']], ['GET', '/v1/items/it_9', CANARY, 'sdk']);

    const byKey = await client.actions.executeTool({ toolName: 'exec_item_create', toolInput: { name: 'From the SDK', tags: ['x'] }, identifier: 'alice', connector: 'exec' });
    seen.push(byKey);
    assert.deepEqual(byKey.data, { id: 'it_new', received: { name: 'From the SDK', tags: ['x'] } });

    const log = await server.api('GET', `/api/v1/request_log?tool_name=exec_item_create`);
    assert.equal(log.body.entries[0].execution_id, byKey.executionId);
    assert.equal(log.body.entries[0].door, 'tool');
  });

  test('an object answer is the Struct as it is', async () => {
    const listed = await client.actions.executeTool({ toolName: 'exec_items_list', toolInput: {}, identifier: 'alice', connector: 'exec' });
    seen.push(listed);
    assert.equal((listed.data as { items: unknown[] }).items.length, 400);
  });

  test('refusals keep their codes: unknown tool, invalid input (every problem), not ACTIVE, another connection', async () => {
    const before = upstream.received.length;
    const unknown = await failure(client.actions.executeTool({ toolName: 'exec_nope', toolInput: {}, identifier: 'alice', connector: 'exec' }));
    assert.ok(unknown instanceof ScalekitNotFoundException, inspect(unknown));
    assert.equal(unknown.errorCode, 'TOOL_NOT_FOUND');
    const invalid = await failure(client.actions.executeTool({ toolName: 'exec_item_create', toolInput: { count: -1 }, identifier: 'alice', connector: 'exec' }));
    assert.ok(invalid instanceof ScalekitBadRequestException, inspect(invalid));
    assert.equal(invalid.errorCode, 'TOOL_INPUT_INVALID');
    assert.deepEqual(
      invalid.unpackedDetails[0]!.validationErrorInfo!.fieldViolations.map((v: { field: string }) => v.field).sort(),
      ['/count', '/name'],
    );
    const pending = await failure(client.actions.executeTool({ toolName: 'exec_item_get', toolInput: { id: 'a' }, identifier: 'bob', connector: 'exec' }));
    assert.equal(pending.errorCode, 'ACCOUNT_NOT_ACTIVE');
    const other = await failure(client.actions.executeTool({ toolName: 'exec_item_get', toolInput: { id: 'a' }, connectedAccountId: setup.otherAccountId }));
    assert.equal(other.errorCode, 'TOOL_CONNECTION_MISMATCH');
    assert.equal(upstream.received.length, before, 'nothing was sent upstream');
  });

  test('upstream failures are the typed tool exceptions, with the status, the answer and the execution id', async () => {
    const run = (code: number) => failure(client.actions.executeTool({ toolName: 'exec_status', toolInput: { code }, identifier: 'alice', connector: 'exec' }));
    const cases: Array<[number, abstract new (...args: never[]) => ScalekitToolException]> = [
      [401, ScalekitToolUnauthorizedException],
      [403, ScalekitToolForbiddenException],
      [429, ScalekitToolRateLimitException],
      [500, ScalekitToolException],
    ];
    for (const [code, type] of cases) {
      const error: ScalekitToolException = await run(code);
      assert.ok(error instanceof type, `${code}: ${inspect(error)}`);
      assert.equal(error.toolErrorCode, String(code));
      assert.match(error.executionId, /^ex_/);
      assert.match(error.toolErrorMessage, new RegExp(`upstream said ${code}`));
    }
  });
});

describe('tools listings and custom tools', () => {
  test('tools.listScopedTools(identifier, { filter: { connectionNames } }) lists what alice can call now', async () => {
    const scoped = await client.tools.listScopedTools('alice', { filter: { connectionNames: ['exec'] } });
    seen.push(scoped);
    const names = scoped.tools.map((t) => t.tool?.definition?.['name']).sort();
    assert.deepEqual(names, ['exec_item_create', 'exec_item_get', 'exec_items_list', 'exec_status']);
    assert.equal(scoped.totalSize, 4);
    assert.ok(scoped.tools.every((t) => t.identifier === 'alice' && t.connectedAccountId === setup.accountId));
    assert.deepEqual((scoped.tools[0]?.tool?.definition?.['input_schema'] as { type?: string } | undefined)?.type, 'object');
    assert.equal((await client.tools.listScopedTools('bob', { filter: { connectionNames: ['exec'] } })).totalSize, 0, 'bob is not ACTIVE');
  });

  test('listTools with filters and summary; listAvailableTools', async () => {
    const listed = await client.tools.listTools({ filter: { provider: 'EXEC', toolName: ['exec_item_get'] } as never, pageSize: 5 });
    assert.deepEqual(listed.tools.map((t) => t.definition?.['name']), ['exec_item_get']);
    assert.equal(listed.tools[0]!.provider, 'exec');
    const summary = await client.tools.listTools({ filter: { connector: 'exec', summary: true } as never });
    assert.deepEqual(summary.toolNames, ['exec_item_create', 'exec_item_get', 'exec_items_list', 'exec_status']);
    const available = await client.tools.listAvailableTools('bob');
    assert.ok(available.tools.some((t) => t.definition?.['name'] === 'exec_item_get'));
  });

  test('CreateTool, UpdateTool and DeleteTool on the custom connector', async () => {
    const created = await (client.tools as any).coreClient.connectExec((client.tools as any).client.createTool, {
      tool: {
        provider: 'exec',
        definition: { name: 'exec_ping', display_name: 'Ping', description: 'Pings.', input_schema: { type: 'object', properties: {} } },
        metadata: { request: { method: 'GET', path: '/ping' } },
      },
    });
    assert.equal(created.tool.definition.name, 'exec_ping');
    const updated = await (client.tools as any).coreClient.connectExec((client.tools as any).client.updateTool, {
      tool: { id: created.tool.id, provider: 'exec', definition: { ...created.tool.definition, description: 'Pings again.' }, metadata: { request: { method: 'GET', path: '/ping' } } },
    });
    assert.deepEqual([updated.tool.definition.description, updated.tool.metadata.version], ['Pings again.', 2]);
    await (client.tools as any).coreClient.connectExec((client.tools as any).client.deleteTool, { id: created.tool.id });
    assert.equal((await server.api('GET', '/api/v1/tools/exec_ping')).status, 404);
  });
});

test('no SDK answer carried the stored credential, and no log line did', () => {
  const text = inspect(seen, { depth: null });
  assert.ok(text.length > 1000);
  assert.ok(!text.includes(CANARY), 'the credential came back through the SDK');
  assert.ok(!server.logs.some((line) => line.includes(CANARY)), 'the credential reached the log');
});
