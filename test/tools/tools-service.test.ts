import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ChangeFeed } from '../../src/changes.ts';
import { loadCatalog } from '../../src/connectors/catalog.ts';
import { ConnectorsService } from '../../src/connectors/connectors-service.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { InputValidators } from '../../src/tools/input-validators.ts';
import { ToolsService } from '../../src/tools/tools-service.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { issueTool } from './fixtures.ts';

const databases = await withTestDatabases();

const connector = {
  display_name: 'Acme',
  proxy_url: 'https://api.acme.example',
  auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password' }] }],
};

for (const database of databases) {
  describe(`tools service on ${database.name}`, () => {
    let store: Store;
    let dir: string;
    let now = 1_760_000_000_000;
    const changes = new ChangeFeed();
    let connectors: ConnectorsService;
    let validators: InputValidators;
    let tools: ToolsService;

    before(async () => {
      store = await openStore(database.options);
      dir = await mkdtemp(join(tmpdir(), 'tp-tools-catalog-'));
      connectors = new ConnectorsService({ store, clock: () => now, changes });
      validators = new InputValidators();
      tools = new ToolsService({ store, clock: () => now, changes, connectors, validators, cacheTtlMs: 60_000 });
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    async function writeCatalog(toolList: unknown[]): Promise<void> {
      await mkdir(join(dir, 'tools'), { recursive: true });
      await writeFile(join(dir, 'acme.yaml'), stringify(connector));
      await writeFile(join(dir, 'tools', 'acme.yaml'), stringify(toolList));
    }

    test('the catalog installs its tools on start, rewrites changed ones and removes dropped ones, in step with its connectors', async () => {
      await writeCatalog([issueTool(), issueTool({ name: 'acme_issue_list' })]);
      const first = await connectors.installCatalog(loadCatalog(dir));
      assert.deepEqual(first.tools, { inserted: ['acme_issue_create', 'acme_issue_list'], updated: [], deleted: [], taken: [] });
      const listed = await tools.list({ providers: ['ACME'] }, { pageSize: 10 });
      assert.deepEqual([listed.totalSize, listed.items.every((t) => t.is_default && t.metadata.origin === 'catalog')], [2, true]);

      assert.deepEqual((await connectors.installCatalog(loadCatalog(dir))).tools, { inserted: [], updated: [], deleted: [], taken: [] });
      await writeCatalog([issueTool({ description: 'Opens an issue, now with a better description for models.' })]);
      let announced = 0;
      changes.onConfigChanged(() => (announced += 1));
      assert.deepEqual((await connectors.installCatalog(loadCatalog(dir))).tools, { inserted: [], updated: ['acme_issue_create'], deleted: ['acme_issue_list'], taken: [] });
      assert.equal(announced, 1, 'running instances hear that built-in tools changed');
      assert.equal((await tools.get('acme_issue_create')).metadata.version, 2);
      await assert.rejects(tools.create('acme', issueTool({ name: 'acme_more' })), { code: 'TOOL_BUILT_IN' });
    });

    test('a loaded tool is cached until the change feed says otherwise (or the TTL passes)', async () => {
      await connectors.create({ ...connector, display_name: 'Cachey', tools: [issueTool({ name: 'cachey_get' })] });
      const first = await tools.load('cachey_get');
      assert.equal(await tools.load('cachey_get'), first, 'the same object: no second read');
      await tools.replace('cachey', 'cachey_get', issueTool({ name: 'cachey_get', description: 'Version two of this tool, for the cache test.' }));
      const second = await tools.load('cachey_get');
      assert.notEqual(second, first);
      assert.equal(second.version, 2);
      assert.equal(await tools.load('cachey_get'), second);
      now += 60_001;
      assert.notEqual(await tools.load('cachey_get'), second, 'the TTL is the safety net');
      await tools.delete('cachey', 'cachey_get');
      await assert.rejects(tools.load('cachey_get'), { code: 'TOOL_NOT_FOUND' });
      await assert.rejects(tools.load('cachey_get'), { code: 'TOOL_NOT_FOUND' }, 'a miss is not cached as a hit');
    });

    test('input validation compiles each tool version once', async () => {
      await connectors.create({ ...connector, display_name: 'Valid', tools: [issueTool({ name: 'valid_make' })] });
      const before = validators.compilations;
      for (let i = 0; i < 20; i++) tools.assertValidInput(await tools.load('valid_make'), { owner: 'o', repo: 'r', title: 't' });
      assert.equal(validators.compilations - before, 1);
      const tool = await tools.load('valid_make');
      assert.throws(() => tools.assertValidInput(tool, { owner: 'o' }), { code: 'TOOL_INPUT_INVALID' });
      assert.equal(validators.compilations - before, 1);
      await tools.replace('valid', 'valid_make', issueTool({ name: 'valid_make', description: 'A second version with the same schema, compiled again.' }));
      tools.assertValidInput(await tools.load('valid_make'), { owner: 'o', repo: 'r', title: 't' });
      assert.equal(validators.compilations - before, 2);
    });

    test('an unknown connector or tool is refused with its code', async () => {
      await assert.rejects(tools.create('nope', issueTool()), { code: 'CONNECTOR_NOT_FOUND' });
      await assert.rejects(tools.get('nope_nope'), { code: 'TOOL_NOT_FOUND' });
      await assert.rejects(tools.replace('valid', 'valid_other', issueTool({ name: 'valid_other' })), { code: 'TOOL_NOT_FOUND' });
      await assert.rejects(tools.delete('cachey', 'valid_make'), { code: 'TOOL_NOT_FOUND' }, "another connector's tool");
      await assert.rejects(tools.list({ connector: 'nope' }, { pageSize: 1 }), { code: 'CONNECTOR_NOT_FOUND' });
    });
  });
}

describe('the catalog loader with tools', () => {
  test('a tools file that names no connector, or holds an invalid tool, fails the load naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tp-tools-catalog-'));
    try {
      await mkdir(join(dir, 'tools'));
      await writeFile(join(dir, 'acme.yaml'), stringify(connector));
      await writeFile(join(dir, 'tools', 'acme.yaml'), stringify([{ ...issueTool(), request: { method: 'GET', path: '/x/{nope}' } }]));
      await writeFile(join(dir, 'tools', 'ghost.yaml'), stringify([issueTool()]));
      assert.throws(() => loadCatalog(dir), (error: Error) => {
        assert.match(error.message, /acme\.yaml \(\+ tools\/acme\.yaml\): \/tools\/0\/request\/path \{nope\} names no property/);
        assert.match(error.message, /tools\/ghost\.yaml: names no connector of the catalog/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
