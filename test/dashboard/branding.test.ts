import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { brandCss, contrast } from '../../src/http/pages/brand.ts';
import { messagePage } from '../../src/http/pages/html.ts';
import { pageLook } from '../../src/http/pages/theme.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Branding of the hosted pages and the dashboard: validated settings, readable colours, and a
 * CSP that allows exactly the one inline stylesheet (by hash) and the logo's origin (O6, O8).
 */

test('branding settings default to toolproxy and are validated, every problem at once', () => {
  assert.deepEqual(loadConfig({}).brand, { name: 'toolproxy', color: '#4f46e5', logoUrl: undefined });
  const branded = loadConfig({ TOOLPROXY_BRAND_NAME: ' Acme Connect ', TOOLPROXY_BRAND_COLOR: '#0E7490', TOOLPROXY_BRAND_LOGO_URL: 'https://cdn.acme.example/logo.svg' });
  assert.deepEqual(branded.brand, { name: 'Acme Connect', color: '#0e7490', logoUrl: 'https://cdn.acme.example/logo.svg' });
  assert.equal(loadConfig({ TOOLPROXY_BRAND_LOGO_URL: 'data:image/png;base64,iVBORw0KGgo=' }).brand.logoUrl, 'data:image/png;base64,iVBORw0KGgo=');

  for (const [env, problem] of [
    [{ TOOLPROXY_BRAND_COLOR: 'red' }, /TOOLPROXY_BRAND_COLOR must be a hex colour/],
    [{ TOOLPROXY_BRAND_COLOR: '#12345' }, /TOOLPROXY_BRAND_COLOR/],
    [{ TOOLPROXY_BRAND_NAME: 'x'.repeat(61) }, /TOOLPROXY_BRAND_NAME must be at most 60/],
    [{ TOOLPROXY_BRAND_NAME: 'Acme\u0007' }, /TOOLPROXY_BRAND_NAME/],
    [{ TOOLPROXY_BRAND_LOGO_URL: 'http://cdn.acme.example/logo.png' }, /TOOLPROXY_BRAND_LOGO_URL must be an https:\/\/ URL/],
    [{ TOOLPROXY_BRAND_LOGO_URL: 'javascript:alert(1)' }, /TOOLPROXY_BRAND_LOGO_URL/],
    [{ TOOLPROXY_BRAND_LOGO_URL: 'data:text/html;base64,PHNjcmlwdD4=' }, /TOOLPROXY_BRAND_LOGO_URL/],
    [{ TOOLPROXY_BRAND_LOGO_URL: 'https://user:pw@cdn.acme.example/logo.png' }, /TOOLPROXY_BRAND_LOGO_URL/],
    [{ TOOLPROXY_BRAND_LOGO_URL: 'https://cdn.acme.example/"onerror="x' }, /TOOLPROXY_BRAND_LOGO_URL/],
  ] as const) {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && problem.test(error.message), JSON.stringify(env));
  }
  assert.throws(
    () => loadConfig({ TOOLPROXY_BRAND_COLOR: 'red', TOOLPROXY_BRAND_LOGO_URL: 'ftp://x' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
  );
});

test('brand colours keep WCAG AA contrast whatever colour is configured', () => {
  const hex = (value: string) => [1, 3, 5].map((i) => Number.parseInt(value.slice(i, i + 2), 16)) as [number, number, number];
  for (const colour of ['#4f46e5', '#ffcc00', '#ffffff', '#000000', '#0e7490', '#22c55e', '#777777']) {
    const css = brandCss({ name: 'x', color: colour, logoUrl: undefined });
    const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]));
    assert.ok(contrast(hex(vars['on-accent']!), hex(vars.accent!)) >= 4.5, `button text on ${colour}`);
    assert.ok(contrast(hex(vars['accent-text']!), [255, 255, 255]) >= 4.5, `accent as text on white for ${colour}`);
    assert.ok(contrast(hex(vars['accent-text-dark']!), [0x16, 0x1b, 0x22]) >= 4.5, `accent as text in dark mode for ${colour}`);
  }
});

test('hosted pages: the CSP allows exactly their inline stylesheet, and the logo origin', () => {
  const look = pageLook({ name: 'Acme <Connect>', color: '#0e7490', logoUrl: 'https://cdn.acme.example/logo.png' });
  const html = messagePage('Connected', 'You can close this window.', { tone: 'success', look });
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(style).digest('base64');
  const csp = look.headers['content-security-policy']!;
  assert.ok(csp.includes(`style-src 'sha256-${hash}'`), 'the hash in the CSP is the inline stylesheet');
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /img-src 'self' data: https:\/\/cdn\.acme\.example;/);
  assert.match(style, /--accent:#0e7490/, 'the brand colour');
  assert.match(style, /prefers-color-scheme: dark/, 'the shared theme');
  // O8: the brand name is escaped like everything else.
  assert.ok(html.includes('Acme &#60;Connect&#62;'));
  assert.ok(!html.includes('<Connect>'));
  assert.match(html, /<img src="https:\/\/cdn\.acme\.example\/logo\.png" alt="">/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
});

describe('hosted pages over HTTP carry the configured brand', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { TOOLPROXY_BRAND_NAME: 'Acme Connect', TOOLPROXY_BRAND_COLOR: '#0e7490' } });
  });
  after(() => server.close());

  test('an unknown link shows the branded error page with the strict headers', async () => {
    const response = await fetch(`${server.url}/connect/tpl_not-a-real-link`);
    assert.equal(response.status, 404);
    const html = await response.text();
    assert.match(html, /<title>Link not valid · Acme Connect<\/title>/);
    assert.match(html, /Secured by Acme Connect/);
    assert.match(html, /class="status-icon error"/);
    assert.match(response.headers.get('content-security-policy') ?? '', /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('cache-control'), 'no-store');

    const brand = await fetch(`${server.url}/dashboard/brand.json`);
    assert.deepEqual(await brand.json(), { name: 'Acme Connect', logo_url: null });
  });
});
