import assert from 'node:assert/strict';
import { isToolproxyError, type Problem } from '../../src/errors.ts';
import type { ToolDefinition } from '../../src/tools/definition-schema.ts';

/** A GitHub-like "create an issue" tool: path params, query, header, JSON body with a nested member. */
export function issueTool(overrides: Partial<ToolDefinition> = {}): ToolDefinition {
  return {
    name: 'acme_issue_create',
    display_name: 'Create an issue',
    description: 'Creates an issue in a repository. Use it when the user asks to file a bug.',
    input_schema: {
      type: 'object',
      properties: {
        owner: { type: 'string' },
        repo: { type: 'string' },
        title: { type: 'string', minLength: 1 },
        body: { type: 'string' },
        labels: { type: 'array', items: { type: 'string' } },
        milestone: { type: ['integer', 'null'] },
        notify: { type: 'boolean' },
        trace_id: { type: 'string' },
        project_key: { type: 'string' },
      },
      required: ['owner', 'repo', 'title'],
      additionalProperties: false,
    },
    request: {
      method: 'POST',
      path: '/repos/{owner}/{repo}/issues',
      query: { notify: { from: 'notify' }, source: { value: 'toolproxy' } },
      headers: { 'X-Trace-Id': { from: 'trace_id' }, Accept: { value: 'application/json' } },
      body: {
        encoding: 'json',
        properties: {
          title: { from: 'title' },
          body: { from: 'body' },
          labels: { from: 'labels' },
          milestone: { from: 'milestone' },
          'fields/project/key': { from: 'project_key' },
        },
      },
    },
    ...overrides,
  };
}

/** The problems of a TOOL_INPUT_INVALID (or another code) thrown by `fn`. */
export function problemsOf(fn: () => unknown, code = 'TOOL_INPUT_INVALID'): Problem[] {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error), String(error));
    assert.equal(error.code, code, error.message);
    return (error.details as { problems: Problem[] }).problems;
  }
  assert.fail(`expected ${code}`);
}
