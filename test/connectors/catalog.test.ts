import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadCatalog } from '../../src/connectors/catalog.ts';

const SHIPPED = fileURLToPath(new URL('../../catalog/', import.meta.url));
const CATEGORIES = new Set([
  'Developer Tools', 'Productivity', 'Communication', 'CRM & Sales', 'Marketing', 'Payments', 'AI', 'Support', 'Storage',
  'Project Management', 'E-commerce',
]);

test('every shipped catalog connector validates, is described, and talks to its API over https only', () => {
  const entries = loadCatalog(SHIPPED);
  assert.ok(entries.length >= 15, `${entries.length} connectors`);
  const names = new Set<string>();
  for (const { identifier, definition } of entries) {
    assert.ok(!names.has(definition.display_name), `${identifier}: display_name repeats another connector's`);
    names.add(definition.display_name);
    assert.ok(definition.description && definition.description.length >= 10, `${identifier}: a description`);
    assert.ok(CATEGORIES.has(definition.metadata?.['category'] ?? ''), `${identifier}: metadata.category is one of the catalog's`);
    assert.match(definition.metadata?.['docs_url'] ?? '', /^https:\/\//, `${identifier}: metadata.docs_url`);
    assert.match(definition.proxy_url, /^https:\/\//, `${identifier}: proxy_url`);
    for (const pattern of definition.auth_patterns) {
      if (pattern.type !== 'OAUTH') continue;
      const { authorize_uri, token_uri, revoke_uri } = pattern.oauth_config;
      for (const uri of [authorize_uri, token_uri, revoke_uri].filter((u) => u !== undefined)) {
        assert.match(uri, /^https:\/\//, `${identifier}: OAuth endpoints are https`);
      }
      assert.ok(pattern.oauth_config.available_scopes.length > 0 || identifier === 'notion', `${identifier}: scopes to pick from`);
    }
  }
});

test('a catalog that does not validate fails the load, naming every file and problem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-catalog-'));
  try {
    const good = 'display_name: Good\nproxy_url: https://api.good.example\nproxy_enabled: true\nauth_patterns:\n  - type: BEARER\n    fields: [{ field_name: token, input_type: password }]\n';
    await writeFile(join(dir, 'good.yaml'), good);
    await writeFile(join(dir, 'Bad_Name.yaml'), good);
    await writeFile(join(dir, 'no-url.yaml'), 'display_name: No URL\nauth_patterns: [{ type: BEARER, fields: [{ field_name: token }] }]\n');
    await writeFile(join(dir, 'plain-http.yaml'), good.replace('https://', 'ftp://'));
    await writeFile(join(dir, 'syntax.yaml'), 'display_name: [unclosed\n');
    await writeFile(join(dir, 'notes.txt'), 'not a connector');
    assert.throws(
      () => loadCatalog(dir),
      (error: Error) => {
        assert.match(error.message, /Bad_Name\.yaml: the name must match/);
        assert.match(error.message, /no-url\.yaml: .*proxy_url/);
        assert.match(error.message, /plain-http\.yaml: \/proxy_url must be an absolute http/);
        assert.match(error.message, /syntax\.yaml: /);
        assert.doesNotMatch(error.message, /good\.yaml|notes\.txt/);
        return true;
      },
    );

    for (const name of ['Bad_Name.yaml', 'no-url.yaml', 'plain-http.yaml', 'syntax.yaml']) await rm(join(dir, name));
    assert.deepEqual(loadCatalog(dir).map((entry) => [entry.identifier, entry.definition.auth_patterns[0]?.type]), [['good', 'BEARER']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
