import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Brand, DEFAULT_BRAND } from '../../src/http/pages/brand.ts';
import { pageLook } from '../../src/http/pages/theme.ts';
import { dashboardRoutes } from '../../src/http/routes/dashboard.ts';

/** How the server serves the built dashboard: headers, caching, brand files, and a missing build. */

async function appWith(distDir: string, brand: Brand = DEFAULT_BRAND): Promise<FastifyInstance> {
  const app = Fastify();
  await dashboardRoutes(app, { brand, look: pageLook(brand), distDir });
  await app.ready();
  return app;
}

describe('dashboard route', () => {
  let dist: string;
  let app: FastifyInstance;

  before(async () => {
    dist = await mkdtemp(join(tmpdir(), 'tp-dashboard-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Dashboard</title><script type="module" src="/dashboard/assets/index-abc123.js"></script>');
    await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
    app = await appWith(dist, { name: 'Acme Connect', color: '#ffcc00', logoUrl: 'https://cdn.acme.example/logo.png' });
  });
  after(async () => {
    await app.close();
    await rm(dist, { recursive: true, force: true });
  });

  test('redirects /dashboard to /dashboard/ and serves index.html with a strict CSP', async () => {
    const redirect = await app.inject('/dashboard');
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers.location, '/dashboard/');

    const index = await app.inject('/dashboard/');
    assert.equal(index.statusCode, 200);
    assert.match(index.headers['content-type'] as string, /text\/html/);
    const csp = index.headers['content-security-policy'] as string;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    // Only the configured logo's origin may serve images besides this one.
    assert.match(csp, /img-src 'self' data: https:\/\/cdn\.acme\.example;/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    assert.equal(index.headers['cache-control'], 'no-cache');
  });

  test('hashed assets are cached for good, index.html is revalidated', async () => {
    const asset = await app.inject('/dashboard/assets/index-abc123.js');
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(asset.headers['content-security-policy'] as string, /script-src 'self'/);
    const missing = await app.inject('/dashboard/assets/nope.js');
    assert.equal(missing.statusCode, 404);
    const escape = await app.inject('/dashboard/..%2f..%2fetc%2fpasswd');
    assert.ok([400, 403, 404].includes(escape.statusCode), `no path traversal (got ${escape.statusCode})`);
  });

  test('brand.css and brand.json come from the config, with readable contrast', async () => {
    const css = await app.inject('/dashboard/brand.css');
    assert.equal(css.statusCode, 200);
    assert.match(css.headers['content-type'] as string, /text\/css/);
    // A light brand colour gets black text on it, and a darkened shade where it is used as text.
    assert.match(css.body, /--accent:#ffcc00;--on-accent:#000000;--accent-text:#[0-9a-f]{6}/);
    assert.doesNotMatch(css.body, /--accent-text:#ffcc00/);
    const json = await app.inject('/dashboard/brand.json');
    assert.deepEqual(json.json(), { name: 'Acme Connect', logo_url: 'https://cdn.acme.example/logo.png' });
  });

  test('without a build, says how to make one instead of a bare 404', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'tp-dashboard-empty-'));
    const bare = await appWith(empty);
    try {
      for (const url of ['/dashboard', '/dashboard/', '/dashboard/assets/x.js']) {
        const response = await bare.inject(url);
        assert.equal(response.statusCode, 503, url);
        assert.match(response.body, /npm run build:dashboard/);
        assert.match(response.headers['content-security-policy'] as string, /default-src 'none'/);
      }
      assert.equal((await bare.inject('/dashboard/brand.css')).statusCode, 200);
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
