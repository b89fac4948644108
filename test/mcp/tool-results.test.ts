import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallToolResultSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { authorizeResult, authorizeTool, toCallToolResult, toMcpTool } from '../../src/mcp/tool-results.ts';

const link = { connectionName: 'gh', connectorName: 'GitHub', status: 'PENDING_AUTH' as const, link: 'https://tp.example/connect/tpl_x', expiry: '2030-01-01T00:00:00.000Z' };

test('every outcome maps to a result the SDK schema accepts', () => {
  const results = [
    toCallToolResult({ kind: 'ok', data: { id: 1 }, executionId: 'ex1', structured: true }),
    toCallToolResult({ kind: 'ok', data: [1, 2], executionId: 'ex2', structured: true, truncated: true }),
    toCallToolResult({ kind: 'ok', data: 'plain text', executionId: 'ex3', structured: false }),
    toCallToolResult({ kind: 'upstream_error', status: 429, data: { error: 'slow down' }, executionId: 'ex4', retryAfterSeconds: 7 }),
    toCallToolResult({ kind: 'not_authorized', connectionName: 'gh', accountStatus: 'EXPIRED' }, link),
    toCallToolResult({ kind: 'invalid_input', problems: [{ path: '/owner', message: 'is required' }] }),
    toCallToolResult({ kind: 'refused', code: 'CONCURRENCY_LIMIT_EXCEEDED', message: 'Too many calls.' }),
    authorizeResult('gh', 'GitHub', link),
    authorizeResult('gh', 'GitHub', null),
  ];
  for (const result of results) assert.ok(CallToolResultSchema.safeParse(result).success, JSON.stringify(result));
  for (const tool of [authorizeTool('gh', 'GitHub', 'NOT_CONNECTED'), toMcpTool({ name: 'gh_x', description: 'd', inputSchema: { type: 'object' }, connectionName: 'gh' })]) {
    assert.ok(ToolSchema.safeParse(tool).success, JSON.stringify(tool));
  }
});

test('a cut answer says what was cut in a second text block', () => {
  const result = toCallToolResult({ kind: 'ok', data: { items: [1] }, executionId: 'e', structured: false, truncated: true, note: 'toolproxy cut this answer (/items: 1 of 400 items kept).' });
  assert.deepEqual(result.content.map((c) => (c.type === 'text' ? c.text : '')), ['{"items":[1]}', 'toolproxy cut this answer (/items: 1 of 400 items kept).']);
  assert.equal((result._meta as Record<string, unknown>)['toolproxy/truncated'], true);
});

test('a success carries structuredContent only for an object and a tool with an output schema', () => {
  assert.deepEqual(toCallToolResult({ kind: 'ok', data: { id: 1 }, executionId: 'e', structured: true }).structuredContent, { id: 1 });
  assert.equal(toCallToolResult({ kind: 'ok', data: { id: 1 }, executionId: 'e', structured: false }).structuredContent, undefined);
  assert.equal(toCallToolResult({ kind: 'ok', data: [1], executionId: 'e', structured: true }).structuredContent, undefined);
  assert.equal(toCallToolResult({ kind: 'ok', data: { id: 1 }, executionId: 'e', structured: true }).isError, undefined);
});

test('failures are tool errors a model can read: status, retry delay, problems, link', () => {
  const text = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((c) => c.text).join('');
  const upstream = toCallToolResult({ kind: 'upstream_error', status: 429, data: { error: 'slow down' }, executionId: 'e', retryAfterSeconds: 7 });
  assert.equal(upstream.isError, true);
  assert.match(text(upstream), /HTTP 429\. Retry after 7 seconds\.\n\{"error":"slow down"\}/);
  const notAuthorized = toCallToolResult({ kind: 'not_authorized', connectionName: 'gh', accountStatus: 'EXPIRED' }, link);
  assert.equal(notAuthorized.isError, true);
  assert.ok(text(notAuthorized).includes(link.link));
  assert.match(text(notAuthorized), /GitHub/);
  assert.throws(() => toCallToolResult({ kind: 'not_authorized', connectionName: 'gh', accountStatus: null }));
  assert.match(text(toCallToolResult({ kind: 'invalid_input', problems: [{ path: '/owner', message: 'is required' }] })), /- \/owner: is required/);
  assert.match(text(toCallToolResult({ kind: 'refused', code: 'UPSTREAM_TIMEOUT', message: 'Too slow.' })), /Too slow\. \(UPSTREAM_TIMEOUT\)/);
});
