/**
 * The adapters against the official clients: their output is assigned to the `openai`,
 * `@anthropic-ai/sdk` and `ai` packages' own types (tsc checks this file), sent through those
 * packages' own request builders to a scripted model on loopback, and the model's tool calls —
 * in each provider's own response shape, parsed by its official client — are answered through
 * `executeTool` (the real server, behind a wire recorder: ../helpers/wire-recorder.ts) with the
 * tool-result message the next request sends.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { asSchema, generateText, jsonSchema, stepCountIs, tool, type ToolSet } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool, ChatCompletionToolMessageParam } from 'openai/resources/chat/completions';
import type { RunnableToolFunctionWithoutParse } from 'openai/lib/RunnableFunction';
import type { FunctionTool, ResponseInputItem } from 'openai/resources/responses/responses';
import {
  anthropicTools,
  openAIChatTools,
  openAIResponsesTools,
  runAnthropicToolUses,
  runOpenAIChatToolCall,
  Toolkit,
  ToolproxyClient,
  vercelAITools,
} from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { acmeUpstream, createToolFixtures, IDENTIFIER, TOOL_CANARY } from './tool-fixtures.ts';

/** A scripted model API on loopback: answers each POST with the next scripted body and keeps what the official client sent. */
async function startModel(script: unknown[]): Promise<{ url: string; requests: Array<Record<string, any>>; close(): Promise<void> }> {
  const requests: Array<Record<string, any>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(script[requests.length - 1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

let upstream: Upstream;
let server: TestServer;
let stub: WireRecorder;
let client: ToolproxyClient;
let toolkit: Toolkit;
let accountId: string;

before(async () => {
  upstream = await startUpstream(acmeUpstream);
  server = await startTestServer({ database: await createSqliteDatabase() });
  ({ accountId } = await createToolFixtures(server.api, upstream.url));
  stub = await startWireRecorder(server.url);
  client = new ToolproxyClient(stub.url, server.clientId, server.clientSecret);
  // One connection, so each tool runs on a known account (with both, the first listed wins).
  toolkit = await client.tools.toolkit(IDENTIFIER, { connectionNames: ['acme'] });
});
after(async () => {
  await stub?.close();
  await server?.close();
  await upstream?.close();
});

const CUSTOMER_SCHEMA = { type: 'object', properties: { customer_id: { type: 'string', description: 'The customer id, like c_1.' } }, required: ['customer_id'], additionalProperties: false };

describe('adapters: definitions', () => {
  test('the official types accept each rendering; one definition per tool name though scoped tools list one per connection', async () => {
    const scoped = (await client.tools.listScoped(IDENTIFIER)).tools;
    assert.equal(scoped.length, 6);
    const chat: ChatCompletionTool[] = openAIChatTools(scoped);
    const responses: FunctionTool[] = openAIResponsesTools(scoped);
    const claude: Anthropic.Tool[] = anthropicTools(scoped);
    const vercel: ToolSet = vercelAITools(scoped, client.actions, { identifier: IDENTIFIER }, { jsonSchema });
    assert.deepEqual(toolkit.names, ['acme_customer_get', 'acme_customers_list', 'acme_invoice_create']);
    assert.deepEqual(chat[0], { type: 'function', function: { name: 'acme_customer_get', description: 'Returns one customer by id: its id, name and plan.', parameters: CUSTOMER_SCHEMA, strict: false } });
    assert.deepEqual(responses[0], { type: 'function', name: 'acme_customer_get', description: 'Returns one customer by id: its id, name and plan.', parameters: CUSTOMER_SCHEMA, strict: false });
    assert.deepEqual(claude[1], { name: 'acme_customers_list', description: 'Lists customers, newest first.', input_schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } }, additionalProperties: false } });
    assert.deepEqual(Object.keys(vercel), toolkit.names);
    // The zero-dependency schema is one the AI SDK recognises as its own (asSchema keeps it as it is).
    const plain = toolkit.vercelAITools()['acme_customer_get']!.inputSchema;
    assert.equal(asSchema(plain as never), plain);
    assert.deepEqual(await asSchema(plain as never).jsonSchema, CUSTOMER_SCHEMA);
    // A definition without properties gets an empty one (OpenAI refuses an object schema without it).
    assert.deepEqual(openAIChatTools([{ name: 'x_y', display_name: 'Y', description: '', input_schema: { type: 'object', $schema: 'https://json-schema.org/draft/2020-12/schema' } }])[0]!.function, { name: 'x_y', description: 'Y', parameters: { type: 'object', properties: {} }, strict: false });
  });
});

describe('adapters: scripted model round trips through executeTool', () => {
  test('OpenAI Chat Completions: tool_calls → role "tool" messages, a bad call answered with the problems', async () => {
    const model = await startModel([
      {
        id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-test',
        choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: null, refusal: null, tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'acme_customer_get', arguments: '{"customer_id":"c_7"}' } },
          { id: 'call_2', type: 'function', function: { name: 'acme_invoice_create', arguments: '{"customer_id":"c_7","amount":0}' } },
          { id: 'call_3', type: 'function', function: { name: 'acme_customers_list', arguments: '{"limit":' } },
          { id: 'call_4', type: 'function', function: { name: 'acme_customer_delete', arguments: '{}' } },
        ] } }],
      },
      { id: 'chatcmpl-2', object: 'chat.completion', created: 2, model: 'gpt-test', choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: 'Customer c_7 is on pro.', refusal: null } }] },
    ]);
    try {
      const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${model.url}/v1`, maxRetries: 0 });
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What plan is c_7 on?' }];
      const completion = await openai.chat.completions.create({ model: 'gpt-test', messages, tools: toolkit.openAIChatTools() });
      assert.deepEqual(model.requests[0]!.tools.map((t: { function: { name: string } }) => t.function.name), toolkit.names);
      const executions = stub.executions.length;
      const answers: ChatCompletionToolMessageParam[] = await toolkit.openAIChatToolMessages(completion.choices[0]!.message);
      assert.equal(stub.executions.length, executions + 2, 'the call with broken JSON and the invented tool are never sent');
      assert.deepEqual(stub.executions.at(-2), { tool_name: 'acme_customer_get', params: { customer_id: 'c_7' }, connected_account_id: accountId });
      assert.deepEqual(answers[0], { role: 'tool', tool_call_id: 'call_1', content: '{"id":"c_7","name":"Customer c_7","plan":"pro"}' });
      assert.equal(answers[1]!.tool_call_id, 'call_2');
      assert.equal(JSON.parse(answers[1]!.content as string).error.code, 'TOOL_INPUT_INVALID');
      assert.deepEqual(JSON.parse(answers[1]!.content as string).error.problems.map((p: { path: string }) => p.path), ['/amount']);
      assert.match(JSON.parse(answers[2]!.content as string).error.message, /not valid JSON/);
      assert.deepEqual(JSON.parse(answers[3]!.content as string).error, { code: 'TOOL_NOT_FOUND', message: 'No tool named acme_customer_delete was offered; use one of: acme_customer_get, acme_customers_list, acme_invoice_create.' });
      const final = await openai.chat.completions.create({ model: 'gpt-test', messages: [...messages, completion.choices[0]!.message, ...answers], tools: toolkit.openAIChatTools() });
      assert.equal(final.choices[0]!.message.content, 'Customer c_7 is on pro.');
      assert.deepEqual(model.requests[1]!.messages.slice(2).map((m: { tool_call_id: string }) => m.tool_call_id), ['call_1', 'call_2', 'call_3', 'call_4']);
      // The standalone helper, with a route of its own.
      const single = await runOpenAIChatToolCall(client.actions, { identifier: IDENTIFIER, connectionName: 'acme-eu' }, { id: 'c9', function: { name: 'acme_customers_list', arguments: '{"limit":1}' } });
      assert.deepEqual(single, { role: 'tool', tool_call_id: 'c9', content: '[{"id":"c_1"}]' });
    } finally {
      await model.close();
    }
  });

  test('OpenAI runTools (the openai package\'s own tool runner) runs the kit\'s tools until the model answers', async () => {
    const model = await startModel([
      { id: 'chatcmpl-3', object: 'chat.completion', created: 3, model: 'gpt-test', choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'acme_customer_get', arguments: '{"customer_id":"c_6"}' } }] } }] },
      { id: 'chatcmpl-4', object: 'chat.completion', created: 4, model: 'gpt-test', choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: 'c_6 is on pro.', refusal: null } }] },
    ]);
    try {
      const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${model.url}/v1`, maxRetries: 0 });
      const tools: RunnableToolFunctionWithoutParse[] = toolkit.openAIRunnableTools();
      const runner = openai.chat.completions.runTools({ model: 'gpt-test', messages: [{ role: 'user', content: 'Plan of c_6?' }], tools });
      assert.equal(await runner.finalContent(), 'c_6 is on pro.');
      assert.deepEqual(model.requests[0]!.tools.map((t: { function: { name: string } }) => t.function.name), toolkit.names);
      assert.deepEqual(model.requests[1]!.messages.at(-1), { role: 'tool', tool_call_id: 'call_r', content: '{"id":"c_6","name":"Customer c_6","plan":"pro"}' });
      assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_customer_get', params: { customer_id: 'c_6' }, connected_account_id: accountId });
    } finally {
      await model.close();
    }
  });

  test('OpenAI Responses: function_call items → function_call_output items', async () => {
    const model = await startModel([
      { id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-test', status: 'completed', output: [{ type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'acme_customers_list', arguments: '{"limit":2}', status: 'completed' }] },
      { id: 'resp_2', object: 'response', created_at: 2, model: 'gpt-test', status: 'completed', output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Two customers.', annotations: [] }] }] },
    ]);
    try {
      const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${model.url}/v1`, maxRetries: 0 });
      const response = await openai.responses.create({ model: 'gpt-test', input: 'List two customers', tools: toolkit.openAIResponsesTools() });
      assert.deepEqual(model.requests[0]!.tools[2], { type: 'function', name: 'acme_invoice_create', description: 'Creates a draft invoice for a customer. Amounts are in cents.', parameters: toolkit.openAIResponsesTools()[2]!.parameters, strict: false });
      const outputs: ResponseInputItem[] = await toolkit.openAIResponsesToolOutputs(response.output);
      assert.deepEqual(outputs, [{ type: 'function_call_output', call_id: 'call_a', output: '[{"id":"c_1"},{"id":"c_2"}]' }]);
      const final = await openai.responses.create({ model: 'gpt-test', previous_response_id: response.id, input: outputs, tools: toolkit.openAIResponsesTools() });
      assert.equal(final.output_text, 'Two customers.');
      assert.deepEqual(model.requests[1]!.input, outputs);
    } finally {
      await model.close();
    }
  });

  test('Anthropic Messages: tool_use blocks → one user message of tool_result blocks (is_error on a refusal)', async () => {
    const usage = { input_tokens: 1, output_tokens: 1 };
    const model = await startModel([
      { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', stop_reason: 'tool_use', stop_sequence: null, usage, content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_1', name: 'acme_invoice_create', input: { customer_id: 'c_3', amount: 500, currency: 'usd' } },
        { type: 'tool_use', id: 'toolu_2', name: 'acme_customer_get', input: { customer_id: 'c_401' } },
      ] },
      { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-test', stop_reason: 'end_turn', stop_sequence: null, usage, content: [{ type: 'text', text: 'Invoice inv_1 created.' }] },
    ]);
    try {
      const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: model.url, maxRetries: 0 });
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Bill c_3 five dollars' }];
      const message = await anthropic.messages.create({ model: 'claude-test', max_tokens: 100, messages, tools: toolkit.anthropicTools() });
      assert.deepEqual(model.requests[0]!.tools[0].input_schema, CUSTOMER_SCHEMA);
      const answer: Anthropic.MessageParam = await toolkit.anthropicToolResultMessage(message);
      assert.deepEqual(answer, {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"id":"inv_1","customer":"c_3","amount":500,"currency":"usd"}' },
          { type: 'tool_result', tool_use_id: 'toolu_2', is_error: true, content: (answer.content as Array<{ content: string }>)[1]!.content },
        ],
      });
      const refused = JSON.parse((answer.content as Array<{ content: string }>)[1]!.content).error;
      assert.equal(refused.code, 'TOOL_UNAUTHORIZED');
      assert.match(refused.authorization_link, /magic_link/);
      assert.deepEqual([refused.upstream_status, refused.upstream_body], [401, { message: 'bad key' }]);
      const final = await anthropic.messages.create({ model: 'claude-test', max_tokens: 100, messages: [...messages, { role: 'assistant', content: message.content }, answer], tools: toolkit.anthropicTools() });
      assert.deepEqual(final.content, [{ type: 'text', text: 'Invoice inv_1 created.' }]);
      assert.deepEqual(model.requests[1]!.messages[2], answer);
      // The standalone helper does the same on a route of the caller's.
      assert.deepEqual((await runAnthropicToolUses(client.actions, { connectedAccountId: accountId }, { content: [message.content[1]!] })).content[0]!.tool_use_id, 'toolu_1');
    } finally {
      await model.close();
    }
  });

  test('Vercel AI SDK: generateText runs the tool through execute, with ai\'s jsonSchema and with the zero-dependency schema', async () => {
    // With ai's jsonSchema (each tool also passed through ai's tool() helper), and with the zero-dependency schema.
    const helped: ToolSet = Object.fromEntries(Object.entries(toolkit.vercelAITools({ jsonSchema })).map(([name, definition]) => [name, tool(definition)]));
    for (const tools of [helped, toolkit.vercelAITools() as unknown as ToolSet]) {
      const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
      const model = new MockLanguageModelV3({
        doGenerate: [
          { content: [{ type: 'tool-call', toolCallId: 'tc_1', toolName: 'acme_customer_get', input: '{"customer_id":"c_5"}' }], finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage, warnings: [] },
          { content: [{ type: 'text', text: 'c_5 is on pro.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
        ],
      });
      const result = await generateText({ model, tools, prompt: 'Which plan is c_5 on?', stopWhen: stepCountIs(3) });
      assert.equal(result.text, 'c_5 is on pro.');
      const offered = model.doGenerateCalls[0]!.tools!.find((t) => t.name === 'acme_customer_get');
      assert.deepEqual(offered && 'inputSchema' in offered ? offered.inputSchema : undefined, CUSTOMER_SCHEMA);
      const toolMessage = model.doGenerateCalls[1]!.prompt.find((m) => m.role === 'tool');
      assert.deepEqual(toolMessage?.content[0], { type: 'tool-result', toolCallId: 'tc_1', toolName: 'acme_customer_get', output: { type: 'json', value: { id: 'c_5', name: 'Customer c_5', plan: 'pro' } }, providerOptions: undefined });
      assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_customer_get', params: { customer_id: 'c_5' }, connected_account_id: accountId });
    }
  });

  test('canary: no tool result carries the credential', async () => {
    const result = await toolkit.run('acme_customer_get', '{"customer_id":"c_8"}');
    assert.equal(result.isError, false);
    assert.ok(!JSON.stringify(result).includes(TOOL_CANARY));
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], TOOL_CANARY);
  });
});
