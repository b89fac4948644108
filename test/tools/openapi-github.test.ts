import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { ChangeFeed } from '../../src/changes.ts';
import { ConnectorsService } from '../../src/connectors/connectors-service.ts';
import { joinUpstreamUrl, parseProxyBase } from '../../src/proxy/url-join.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import type { ToolDefinition } from '../../src/tools/definition-schema.ts';
import { InputValidators } from '../../src/tools/input-validators.ts';
import { OpenApiImporter, type ImportResult } from '../../src/tools/openapi-import/openapi-importer.ts';
import { renderToolRequest } from '../../src/tools/render-request.ts';
import { ToolsService } from '../../src/tools/tools-service.ts';
import { createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';

/**
 * GitHub's official OpenAPI description (@octokit/openapi, 13 MB, ~1 200 operations): the whole
 * of it imports, through the maintained parser's validation, the conversion and one write, in
 * bounded time and memory; and two tools come out exactly as a careful hand would write them.
 */
const GITHUB = new URL('../../node_modules/@octokit/openapi/generated/api.github.com.json', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

// Generous for a loaded 2-core machine; measured on one (6 helpers running): 11–12 s, heap +85 MB sampled, RSS +90 MB, 29 MB retained.
const MAX_SECONDS = 120;
const MAX_HEAP_GROWTH_MB = 600;
const MAX_RSS_GROWTH_MB = 1200;
const MAX_RETAINED_MB = 120;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => process.memoryUsage().heapUsed / 1024 / 1024;

let database: TestDatabase;
let store: Store;
let tools: ToolsService;
let result: ImportResult;
let seconds = 0;
let heapGrowth = 0;
let rssGrowth = 0;
let retained = 0;
let documentOperations = 0;

before(async () => {
  database = await createSqliteDatabase();
  store = await openStore(database.options);
  const changes = new ChangeFeed();
  const connectors = new ConnectorsService({ store, clock: Date.now, changes });
  await connectors.create({
    display_name: 'GitHub',
    proxy_url: 'https://api.github.com',
    auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password' }] }],
  });
  tools = new ToolsService({ store, clock: Date.now, changes, connectors, validators: new InputValidators() });
  const importer = new OpenApiImporter({ store, clock: Date.now, changes, connectors, fetch: () => assert.fail('nothing is fetched') });

  gc();
  const baseline = heapMb();
  const rssBefore = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, heapMb())), 50);
  const started = performance.now();
  const text = readFileSync(GITHUB, 'utf8');
  result = await importer.import('github', { document: text });
  seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  heapGrowth = Math.max(peak, heapMb()) - baseline;
  // The resident set rarely shrinks at once: it shows the peak the sampler may miss between ticks.
  rssGrowth = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
  gc();
  retained = heapMb() - baseline;
  documentOperations = result.document.operations;
});
after(async () => {
  await store?.close();
  await database?.cleanup();
});

describe("GitHub's OpenAPI description", () => {
  test('every operation imports: all but the one served from another host become tools', () => {
    assert.ok(documentOperations > 1000, `${documentOperations} operations`);
    assert.deepEqual(result.skipped, [
      {
        operation: 'POST /repos/{owner}/{repo}/releases/{release_id}/assets',
        operation_id: 'repos/upload-release-asset',
        reason: "is served from https://uploads.github.com, not from the connector's proxy_url",
      },
    ]);
    assert.equal(result.created, documentOperations - 1);
    assert.equal(result.tools.length, documentOperations - 1);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.document.specification, 'OpenAPI 3.0.3');
  });

  test(`in bounded time and memory (< ${MAX_SECONDS} s, < ${MAX_HEAP_GROWTH_MB} MB heap and < ${MAX_RSS_GROWTH_MB} MB RSS growth, < ${MAX_RETAINED_MB} MB retained)`, () => {
    process.stderr.write(
      `# GitHub import: ${documentOperations} operations in ${seconds.toFixed(1)} s, heap +${heapGrowth.toFixed(0)} MB sampled, RSS +${rssGrowth.toFixed(0)} MB, ${retained.toFixed(0)} MB retained\n`,
    );
    assert.ok(seconds < MAX_SECONDS, `${seconds.toFixed(1)} s`);
    assert.ok(heapGrowth < MAX_HEAP_GROWTH_MB, `${heapGrowth.toFixed(0)} MB`);
    assert.ok(rssGrowth < MAX_RSS_GROWTH_MB, `RSS +${rssGrowth.toFixed(0)} MB`);
    assert.ok(retained < MAX_RETAINED_MB, `${retained.toFixed(0)} MB retained`);
  });

  test('the tools are stored, listed with a real total, and a second import changes nothing', async () => {
    const listed = await tools.list({ connector: 'github', summary: true }, { pageSize: 100 });
    assert.equal(listed.totalSize, documentOperations - 1);
    assert.equal(listed.toolNames.length, 100);
    assert.ok(listed.toolNames.every((name) => /^github_[a-z0-9_]{1,57}$/.test(name)));
  });

  test('repos/get is exactly right', async () => {
    const tool = await definition('github_repos_get');
    const { output_schema: output, ...rest } = tool;
    assert.deepEqual(rest, {
      name: 'github_repos_get',
      display_name: 'Get a repository',
      description:
        'Get a repository\n\nThe `parent` and `source` objects are present when the repository is a fork. `parent` is the repository this repository was forked from, `source` is the ultimate source for the network.\n\n> [!NOTE]\n> - In order to see the `security_and_analysis` block for a repository you must have admin permissions for the repository or be an owner or security manager for the organization that owns the repository. For more information, see "[Managing security managers in your organization](https://docs.github.com/organizations/managing-peoples-access-to-your-organization-with-roles/managing-security-managers-in-your-organization)."\n> - To view merge-related settings, you must have the `contents:read` and `contents:write` permissions.',
      input_schema: {
        type: 'object',
        properties: {
          owner: { type: 'string', description: 'The account owner of the repository. The name is not case sensitive.' },
          repo: { type: 'string', description: 'The name of the repository without the `.git` extension. The name is not case sensitive.' },
        },
        required: ['owner', 'repo'],
      },
      annotations: { read_only_hint: true },
      tags: ['repos'],
      request: { method: 'GET', path: '/repos/{owner}/{repo}' },
    });
    assert.deepEqual(output, fixture('github-repos-get.output-schema.json'));
    checkAgainstComponent(output!, 'full-repository');
    assert.equal(joinUpstreamUrl(parseProxyBase('https://api.github.com'), renderToolRequest(tool, { owner: 'octocat', repo: 'Hello-World' }).pathAndQuery), 'https://api.github.com/repos/octocat/Hello-World');
  });

  test('issues/create is exactly right', async () => {
    const tool = await definition('github_issues_create');
    const { output_schema: output, description, ...rest } = tool;
    assert.ok(description.startsWith('Create an issue\n\nAny user with pull access to a repository can create an issue.'));
    assert.ok(description.length <= 1024 && description.endsWith('…'), 'the long description is cut for a model (1 024 characters)');
    const nullableString = (text: string) => ({ type: ['string', 'null'], description: text });
    assert.deepEqual(rest, {
      name: 'github_issues_create',
      display_name: 'Create an issue',
      input_schema: {
        type: 'object',
        properties: {
          owner: { type: 'string', description: 'The account owner of the repository. The name is not case sensitive.' },
          repo: { type: 'string', description: 'The name of the repository without the `.git` extension. The name is not case sensitive.' },
          title: { description: 'The title of the issue.', oneOf: [{ type: 'string' }, { type: 'integer' }] },
          body: { type: 'string', description: 'The contents of the issue.' },
          assignee: nullableString(
            'Login for the user that this issue should be assigned to. _NOTE: Only users with push access can set the assignee for new issues. The assignee is silently dropped otherwise. **This field is closing down.**_',
          ),
          milestone: {
            oneOf: [
              { type: 'string' },
              {
                type: 'integer',
                description:
                  'The `number` of the milestone to associate this issue with. _NOTE: Only users with push access can set the milestone for new issues. The milestone is silently dropped otherwise._',
              },
              { type: 'null' },
            ],
          },
          labels: {
            type: 'array',
            description: 'Labels to associate with this issue. _NOTE: Only users with push access can set labels for new issues. Labels are silently dropped otherwise._',
            items: {
              oneOf: [
                { type: 'string' },
                {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    name: { type: 'string' },
                    description: { type: ['string', 'null'] },
                    color: { type: ['string', 'null'] },
                  },
                },
              ],
            },
          },
          assignees: {
            type: 'array',
            description: 'Logins for Users to assign to this issue. _NOTE: Only users with push access can set assignees for new issues. Assignees are silently dropped otherwise._',
            items: { type: 'string' },
          },
          issue_field_values: {
            type: 'array',
            description:
              'An array of issue field values to set on this issue. Each field value must include the field ID and the value to set. Issue fields are only available for organization-owned repositories with the feature enabled. Field values are silently dropped otherwise.',
            items: {
              type: 'object',
              properties: {
                field_id: { type: 'integer', description: 'The ID of the issue field to set' },
                value: {
                  description: 'The value to set for the field. For multi-select fields, provide an array of option names.',
                  oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'array', items: { type: 'string' } }],
                },
              },
              required: ['field_id', 'value'],
              additionalProperties: false,
            },
          },
          type: {
            ...nullableString(
              'The name of the issue type to associate with this issue. _NOTE: Only users with push access can set the type for new issues. The type is silently dropped otherwise._',
            ),
            examples: ['Epic'],
          },
        },
        required: ['owner', 'repo', 'title'],
      },
      tags: ['issues'],
      request: {
        method: 'POST',
        path: '/repos/{owner}/{repo}/issues',
        body: {
          encoding: 'json',
          properties: Object.fromEntries(
            ['title', 'body', 'assignee', 'milestone', 'labels', 'assignees', 'issue_field_values', 'type'].map((name) => [name, { from: name }]),
          ),
        },
      },
    });
    assert.deepEqual(output, fixture('github-issues-create.output-schema.json'));
    checkAgainstComponent(output!, 'issue');

    const loaded = await tools.load('github_issues_create');
    const input = { owner: 'octocat', repo: 'Hello-World', title: 'Found a bug', labels: ['bug'], milestone: null };
    tools.assertValidInput(loaded, input);
    const request = renderToolRequest(loaded.definition, input);
    assert.deepEqual([request.method, request.pathAndQuery, request.contentType], ['POST', '/repos/octocat/Hello-World/issues', 'application/json']);
    assert.deepEqual(JSON.parse(request.body!.toString()), { title: 'Found a bug', labels: ['bug'], milestone: null });
    assert.throws(() => tools.assertValidInput(loaded, { owner: 'octocat', title: 'x', labels: [{ id: 'one' }] }), (error: { code: string; details: { problems: Array<{ path: string }> } }) => {
      assert.equal(error.code, 'TOOL_INPUT_INVALID');
      assert.ok(error.details.problems.some((p) => p.path === '/repo'));
      assert.ok(error.details.problems.some((p) => p.path.startsWith('/labels/0')));
      return true;
    });
  });
});

async function definition(name: string): Promise<ToolDefinition> {
  return (await tools.load(name)).definition;
}

/**
 * Independent of the fixture: the answer's schema lists exactly the component's members and
 * required ones, and its nested objects list theirs, each summarized by type.
 */
function checkAgainstComponent(output: Record<string, unknown>, component: string): void {
  const document = JSON.parse(readFileSync(GITHUB, 'utf8')) as { components: { schemas: Record<string, any> } };
  const source = document.components.schemas[component];
  const properties = output['properties'] as Record<string, { type?: unknown; properties?: Record<string, unknown> }>;
  assert.deepEqual(Object.keys(properties), Object.keys(source.properties));
  assert.deepEqual(output['required'], source.required);
  for (const [name, child] of Object.entries(source.properties as Record<string, any>)) {
    const target = child.$ref ? document.components.schemas[child.$ref.split('/').pop()] : child;
    if (target.type === 'object' && target.properties) {
      assert.deepEqual(Object.keys(properties[name]!.properties ?? {}), Object.keys(target.properties), name);
    }
    if (target.type !== undefined) {
      const expected = target.nullable ? [target.type, 'null'] : target.type;
      assert.deepEqual(properties[name]!.type, expected, name);
    }
  }
}
