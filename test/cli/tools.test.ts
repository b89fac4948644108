import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { cli } from './run-cli.ts';

const PETSTORE = fileURLToPath(new URL('../../node_modules/@readme/oas-examples/2.0/json/petstore.json', import.meta.url));

let server: TestServer;
let upstream: Upstream;
let env: Record<string, string>;

before(async () => {
  upstream = await startUpstream((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(readFileSync(PETSTORE));
  });
  server = await startTestServer({ database: await createSqliteDatabase() });
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  const created = await server.api('POST', '/api/v1/custom-providers', {
    display_name: 'Pets',
    proxy_url: 'https://petstore.example',
    auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password' }] }],
  });
  assert.equal(created.status, 201, created.text);
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

describe('CLI: tools', () => {
  test('tools import --dry-run shows names, methods, paths and the skipped operations with reasons; nothing is written', async () => {
    const dry = await cli(['tools', 'import', PETSTORE, '--connector', 'pets', '--dry-run'], env);
    assert.equal(dry.code, EXIT.OK, dry.stderr);
    assert.match(dry.stdout, /^Swagger Petstore 1\.0\.0 \(Swagger 2\.0\): 20 of 20 operations selected, paths prefixed with \/v2\n/);
    assert.match(dry.stdout, /\n {2}create {4}pets_find_pets_by_status\s+GET {4}\/v2\/pet\/findByStatus\n/);
    assert.match(dry.stdout, /Would create 19, update 0, leave 0 unchanged on pets \(--dry-run: nothing written\)\./);
    assert.match(dry.stdout, /1 operation skipped:\n {2}POST \/pet\/\{petId\}\/uploadImage \(uploadFile\): takes a multipart\/form-data body/);
    const none = await cli(['tools', 'list', '--connector', 'pets'], env);
    assert.match(none.stdout, /No tools match/);
  });

  test('tools import writes them, --include narrows, and tools list shows them', async () => {
    const first = await cli(['tools', 'import', PETSTORE, '--connector', 'pets', '--include', 'store', 'getPetById'], env);
    assert.equal(first.code, EXIT.OK, first.stderr);
    assert.match(first.stdout, /Created 5, updated 0, left 0 unchanged on pets\./);
    const listed = await cli(['tools', 'list', '--connector', 'pets', '--json'], env);
    const names = JSON.parse(listed.stdout).map((t: { definition: { name: string } }) => t.definition.name);
    assert.deepEqual(names, ['pets_delete_order', 'pets_get_inventory', 'pets_get_order_by_id', 'pets_get_pet_by_id', 'pets_place_order']);
    const table = await cli(['tools', 'list', '--connector', 'pets', '--query', 'inventory'], env);
    assert.match(table.stdout, /pets_get_inventory\s+pets\s+GET\s+\/v2\/store\/inventory\s+openapi/);
  });

  test('tools import from a URL (fetched by the server) and --json output', async () => {
    const fetched = await cli(['tools', 'import', `${upstream.url}/petstore.json`, '--connector', 'pets', '--dry-run', '--json'], env);
    assert.equal(fetched.code, EXIT.OK, fetched.stderr);
    const result = JSON.parse(fetched.stdout);
    assert.equal(result.dryRun, true);
    assert.equal(result.tools.filter((t: { action: string }) => t.action === 'unchanged').length, 5);
    assert.equal(upstream.received.length, 1);
  });

  test('refusals: a missing file, a built-in connector, an invalid document', async () => {
    const missing = await cli(['tools', 'import', 'nope.json', '--connector', 'pets'], env);
    assert.equal(missing.code, EXIT.USAGE);
    assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
    const builtIn = await cli(['tools', 'import', PETSTORE, '--connector', 'github'], env);
    assert.equal(builtIn.code, EXIT.ERROR);
    assert.match(builtIn.stderr, /\[TOOL_BUILT_IN\]/);
    const noConnector = await cli(['tools', 'import', PETSTORE], env);
    assert.equal(noConnector.code, EXIT.USAGE);
    const invalid = await cli(['tools', 'import', fileURLToPath(new URL('../../package.json', import.meta.url)), '--connector', 'pets'], env);
    assert.match(invalid.stderr, /\[OPENAPI_INVALID\]/);
  });
});
