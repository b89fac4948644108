import assert from 'node:assert/strict';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ToolproxyError } from '../../src/errors.ts';
import type { Actor } from '../../src/actor.ts';
import type { Call, CallContext, PipelineRequest } from '../../src/proxy/call.ts';
import { CallState } from '../../src/proxy/call.ts';
import { CallerGoneError } from '../../src/proxy/call-control.ts';
import { type PipelineLog, type PipelineStep, ProxyPipeline, STEP_ORDER } from '../../src/proxy/pipeline.ts';
import { CollectingSink } from '../../src/proxy/sinks.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, type ReceivedRequest, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey, onRequestHead, startRawUpstream } from './fixtures.ts';

/**
 * The proxy pipeline as the tool and MCP doors use it (routed by connected account id, a
 * rendered body, the answer collected up to a cap), and its step contract: a step refuses
 * before anything is taken, read or sent; every step's `finish` runs exactly once; the record
 * step writes every call down. Against the real server's steps, a real loopback upstream and
 * the real request log.
 */

let upstream: Upstream;
let broken: Awaited<ReturnType<typeof startRawUpstream>>;
let server: TestServer;
let pipeline: ProxyPipeline;
let accountId: string;
let brokenAccountId: string;
let held: http.ServerResponse[] = [];
let flaky = 0;
const actor: Actor = { type: 'api_client', id: 'tpc_test_client' };
const toolContext: CallContext = { door: 'tool', actor, toolName: 'create_customer', executionId: 'exec_1' };

function handler(request: ReceivedRequest, response: http.ServerResponse): void {
  const path = request.url.split('?')[0]!;
  if (path === '/api/big') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('0123456789'.repeat(10_000));
  if (path === '/api/hold') return void held.push(response);
  if (path === '/api/flaky' && flaky-- > 0) return json(response, 503, { error: 'busy' }, { 'retry-after': '0' });
  json(response, request.method === 'POST' ? 201 : 200, { method: request.method, url: request.url, body: request.body.toString('utf8') });
}

before(async () => {
  upstream = await startUpstream(handler);
  // Answers 100 of a promised 100,000 bytes, then resets the connection.
  broken = await startRawUpstream((socket) =>
    onRequestHead(socket, () => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100)}`, () => socket.resetAndDestroy())),
  );
  server = await startTestServer({
    database: await createSqliteDatabase(),
    // One call in flight per account and none waiting: a second call on the account is refused.
    env: { TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT: '1', TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT: '0' },
  });
  pipeline = server.server.pipeline;
  await connectApiKey(server, { name: 'crm', proxyUrl: `${upstream.url}/api`, identifier: 'alice', apiKey: 'sk_alice' });
  await connectApiKey(server, { name: 'broken', proxyUrl: broken.url, identifier: 'alice' });
  accountId = (await server.api('GET', '/api/v1/connections/crm/connected_accounts/alice')).body.connected_account.id;
  brokenAccountId = (await server.api('GET', '/api/v1/connections/broken/connected_accounts/alice')).body.connected_account.id;
});
after(async () => {
  for (const response of held) response.destroy();
  await server.close();
  await upstream.close();
  await broken.close();
});

/** A rendered tool request: routed by account id, non-credential headers, a Buffer body. */
function toolRequest(overrides: Partial<PipelineRequest> = {}): PipelineRequest {
  return { method: 'GET', routing: { accountId }, pathAndQuery: '/v1/customers', headers: {}, body: null, retries: 0, ...overrides };
}

async function logEntry(where: (entry: any) => boolean): Promise<any> {
  const list = await server.api('GET', '/api/v1/request_log?limit=500');
  return list.body.entries.find(where);
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the tool door: routed by account id, answer collected', () => {
  test('sends the rendered method, path, query, headers and body with the credentials injected, and returns the answer', async () => {
    const answer = await pipeline.collect(
      toolRequest({
        method: 'post',
        pathAndQuery: '/v1/customers/a%2Fb?expand=owner&tag=vip',
        headers: { 'content-type': 'application/json', 'x-trace': 't1', authorization: 'Bearer not-for-upstream', 'x-api-key': 'sk_forged' },
        body: Buffer.from('{"name":"Ada"}'),
      }),
      toolContext,
      64 * 1024,
    );
    assert.equal(answer.status, 201);
    assert.equal(answer.truncated, false);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(answer.body.toString('utf8')), { method: 'POST', url: '/api/v1/customers/a%2Fb?expand=owner&tag=vip', body: '{"name":"Ada"}' });
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.headers['x-api-key'], 'sk_alice', 'the credential goes in last: a rendered one cannot replace it (P7)');
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers['x-trace'], 't1');
    assert.equal(seen.headers['content-length'], '14');
  });

  test('writes the door, tool, execution, actor and account into the request log', async () => {
    await pipeline.collect(toolRequest({ pathAndQuery: '/v1/customers?logged=1' }), { ...toolContext, executionId: 'exec_logged' }, 1024);
    const entry = await logEntry((e) => e.execution_id === 'exec_logged');
    assert.equal(entry.door, 'tool');
    assert.equal(entry.tool_name, 'create_customer');
    assert.deepEqual(entry.actor, actor);
    assert.equal(entry.account_id, accountId);
    assert.equal(entry.identifier, 'alice');
    assert.equal(entry.connection_name, 'crm');
    assert.equal(entry.path, '/v1/customers?logged=…');
    assert.equal(entry.status, 200);
    const filtered = (await server.api('GET', '/api/v1/request_log?door=tool&tool_name=create_customer&execution_id=exec_logged')).body.entries;
    assert.deepEqual(filtered.map((e: { execution_id: string }) => e.execution_id), ['exec_logged']);
  });

  test('cuts a body longer than the cap there and says so; the log counts the bytes delivered', async () => {
    const answer = await pipeline.collect(toolRequest({ pathAndQuery: '/big' }), { ...toolContext, executionId: 'exec_big' }, 1_000);
    assert.equal(answer.truncated, true);
    assert.equal(answer.body.length, 1_000);
    assert.equal(answer.body.toString(), '0123456789'.repeat(100));
    assert.equal((await logEntry((e) => e.execution_id === 'exec_big')).bytes_out, 1_000);
    const whole = await pipeline.collect(toolRequest({ pathAndQuery: '/big' }), toolContext, 100_000);
    assert.equal(whole.truncated, false);
    assert.equal(whole.body.length, 100_000);
  });

  test('a body that breaks off after the status line is an error, not a short answer', async () => {
    await assert.rejects(pipeline.collect(toolRequest({ routing: { accountId: brokenAccountId } }), toolContext, 1_000_000), { code: 'UPSTREAM_ERROR' });
  });

  test('retries when asked, as /proxy does (a rendered body is always replayable)', async () => {
    flaky = 2;
    const answer = await pipeline.collect(toolRequest({ method: 'PUT', pathAndQuery: '/flaky', body: Buffer.from('{}'), retries: 2 }), toolContext, 1024);
    assert.equal(answer.status, 200);
    assert.deepEqual(upstream.received.slice(-3).map((r) => [r.method, r.body.toString()]), [['PUT', '{}'], ['PUT', '{}'], ['PUT', '{}']]);
  });

  test('refuses before anything goes upstream, and records it: a rendered header with CR/LF, an unknown method, an unknown account', async () => {
    const sent = upstream.received.length;
    await assert.rejects(pipeline.collect(toolRequest({ headers: { 'x-a': 'b\r\nx-injected: 1' } }), toolContext, 10), {
      code: 'INVALID_HEADER',
      details: { reason: 'invalid_value', header: 'x-a' },
    });
    await assert.rejects(pipeline.collect(toolRequest({ method: 'TRACE' }), toolContext, 10), { code: 'INVALID_METHOD' });
    await assert.rejects(pipeline.collect(toolRequest({ routing: { accountId: 'ca_nope' } }), { ...toolContext, executionId: 'exec_nope' }, 10), {
      code: 'ACCOUNT_NOT_FOUND',
    });
    assert.equal(upstream.received.length, sent);
    const entry = await logEntry((e) => e.execution_id === 'exec_nope');
    assert.equal(entry.error_code, 'ACCOUNT_NOT_FOUND');
    assert.equal(entry.door, 'tool');
  });

  test('shares the concurrency limits with /proxy: a tool call on an account whose one slot a /proxy call holds is refused', async () => {
    const token = await server.token();
    const holding = call(server, token, 'crm', '/hold', { identifier: 'alice' });
    await until('the /proxy call is upstream', () => held.length === 1);
    await assert.rejects(pipeline.collect(toolRequest(), toolContext, 10), { code: 'CONCURRENCY_LIMIT_EXCEEDED' });
    json(held.pop()!, 200, { released: true });
    assert.equal((await holding).status, 200);
    assert.equal((await pipeline.collect(toolRequest(), toolContext, 1024)).status, 200, 'the slot came back');
  });

  test('a caller that goes away (its signal aborts) abandons the upstream call and is logged as 499 CLIENT_CLOSED', async () => {
    const controller = new AbortController();
    const running = pipeline.run(toolRequest({ pathAndQuery: '/hold', signal: controller.signal }), { ...toolContext, executionId: 'exec_gone' }, new CollectingSink(10));
    await until('the tool call is upstream', () => held.length === 1);
    controller.abort();
    await assert.rejects(running, (error) => error instanceof CallerGoneError);
    const entry = await logEntry((e) => e.execution_id === 'exec_gone');
    assert.equal(entry.status, 499);
    assert.equal(entry.error_code, 'CLIENT_CLOSED');
    held.pop()!.destroy();
  });
});

/** The server's own steps with `extra` in its place (replacing the server's step of that name), and a log that keeps what it is told. */
function pipelineWith(...extra: PipelineStep[]): { pipeline: ProxyPipeline; errors: object[] } {
  const errors: object[] = [];
  const log: PipelineLog = { level: 'info', debug: () => undefined, warn: () => undefined, error: (object) => void errors.push(object) };
  const order: readonly string[] = STEP_ORDER;
  const own = server.server.pipeline.steps.filter((step) => !extra.some((e) => e.name === step.name));
  const steps = [...own, ...extra].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { pipeline: new ProxyPipeline({ steps, clock: Date.now, totalTimeoutMs: 10_000, log }), errors };
}

/** A step in the policy slot that counts its runs and finishes and what it saw. */
function countingPolicy(refuse: boolean) {
  const seen = { runs: 0, finishes: 0, slotWhenRefusing: 'unset' as unknown, status: 0 };
  const step: PipelineStep = {
    name: 'policy',
    run(call: Call) {
      seen.runs++;
      if (!refuse) return;
      seen.slotWhenRefusing = call.slot;
      throw new ToolproxyError('VALIDATION_FAILED', { message: 'refused by a test policy', details: { rule: 'test' } });
    },
    finish(call: Call) {
      seen.finishes++;
      seen.status = call.record.status;
    },
  };
  return { step, seen };
}

describe('the step contract', () => {
  test('a step between resolve and limits refuses with a ToolproxyError before a slot is taken, the body read or anything sent; the refusal is recorded', async () => {
    const { step, seen } = countingPolicy(true);
    const { pipeline: guarded } = pipelineWith(step);
    let bodyRead = false;
    const body = new Readable({ read() { bodyRead = true; this.push(null); } });
    const sent = upstream.received.length;
    await assert.rejects(
      guarded.run(toolRequest({ method: 'POST', body, headers: { 'content-length': '0' } }), { ...toolContext, executionId: 'exec_refused' }, new CollectingSink(10)),
      { code: 'VALIDATION_FAILED', message: 'refused by a test policy' },
    );
    assert.equal(bodyRead, false, 'the body was never read');
    assert.equal(seen.slotWhenRefusing, undefined, 'no concurrency slot was taken');
    assert.equal(upstream.received.length, sent, 'nothing reached the upstream');
    assert.deepEqual([seen.runs, seen.finishes, seen.status], [1, 1, 400]);
    const entry = await logEntry((e) => e.execution_id === 'exec_refused');
    assert.equal(entry.error_code, 'VALIDATION_FAILED');
    assert.equal(entry.account_id, accountId, 'it was refused after resolve: the account is in the log');
    assert.equal((await pipeline.collect(toolRequest(), toolContext, 1024)).status, 200, 'and no slot leaked');
  });

  test("every step's finish runs exactly once whether the call was relayed, refused early, failed upstream or its caller left", async () => {
    const paths: Array<[string, () => Promise<unknown>]> = [];
    const { step, seen } = countingPolicy(false);
    const { pipeline: counted } = pipelineWith(step);
    paths.push(['relayed', () => counted.collect(toolRequest(), toolContext, 1024)]);
    paths.push(['refused by admit', () => counted.collect(toolRequest({ method: 'CONNECT' }), toolContext, 1024).catch(() => undefined)]);
    paths.push(['failed upstream', () => counted.collect(toolRequest({ routing: { accountId: brokenAccountId } }), toolContext, 1024).catch(() => undefined)]);
    paths.push(['caller gone', async () => {
      const controller = new AbortController();
      controller.abort();
      await counted.collect(toolRequest({ signal: controller.signal }), toolContext, 1024).catch(() => undefined);
    }]);
    const expected = { relayed: [1, 1], 'refused by admit': [0, 1], 'failed upstream': [1, 1], 'caller gone': [0, 1] };
    for (const [label, run] of paths) {
      const before = { runs: seen.runs, finishes: seen.finishes };
      await run();
      assert.deepEqual([seen.runs - before.runs, seen.finishes - before.finishes], expected[label as keyof typeof expected], label);
    }
  });

  test('a finish that throws is logged and does not keep the record step from writing the call down', async () => {
    const { pipeline: faulty, errors } = pipelineWith({ name: 'approval', finish: () => { throw new Error('finish broke'); } });
    await faulty.collect(toolRequest(), { ...toolContext, executionId: 'exec_finish_broke' }, 1024);
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as { step: string }).step, 'approval');
    assert.ok(await logEntry((e) => e.execution_id === 'exec_finish_broke'));
  });

  test('a step keeps per-call state with a CallState key', async () => {
    const decided = new CallState<string>('decision');
    const seen: Array<string | undefined> = [];
    const { pipeline: stateful } = pipelineWith({
      name: 'approval',
      run: (call) => decided.set(call, `approved for ${call.context.toolName}`),
      finish: (call) => void seen.push(decided.get(call)),
    });
    await stateful.collect(toolRequest(), toolContext, 1024);
    assert.deepEqual(seen, ['approved for create_customer']);
  });

  test('steps out of order, repeated, or without the record step last are refused when the pipeline is built', () => {
    const steps = server.server.pipeline.steps;
    const build = (list: readonly PipelineStep[]) => new ProxyPipeline({ steps: list, clock: Date.now, totalTimeoutMs: 1, log: console as unknown as PipelineLog });
    assert.throws(() => build([...steps].reverse()), /out of order or repeated; the order is admit → audit → resolve → policy → approval/);
    assert.throws(() => build([steps[0]!, steps[0]!, ...steps.slice(1)]), /out of order or repeated/);
    assert.throws(() => build(steps.slice(0, -1)), /the last step must be "record"/);
  });
});
