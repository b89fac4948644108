import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, ensureDashboardBuilt, launchBrowser, screenshot } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The Connectors page's built-in catalog in a real browser, against a server with the shipped
 * catalog/*.yaml: listed by name, read-only, and each entry leads to a connection or to a custom
 * copy of itself. Screenshots go to test-artifacts/dashboard/, every page is checked with axe-core.
 */

const skip = browserSkipReason();

interface Provider {
  identifier: string;
  display_name: string;
  proxy_url: string;
  is_custom: boolean;
  auth_patterns: { type: string }[];
  metadata?: Record<string, string>;
}

describe('built-in connector catalog in the dashboard', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const accessible = async (name: string) => {
    const problems = await accessibilityProblems(page);
    assert.deepEqual(problems, [], `axe on ${name}:\n${problems.join('\n')}`);
  };
  const heading = (text: string | RegExp) => page.getByRole('heading', { level: 1, name: text });
  const settled = () => page.locator('main[aria-busy]').waitFor({ state: 'detached' });
  /** A fresh load of a route (the token is in sessionStorage), so no earlier page is still on screen. */
  const open = async (path: string, title: string) => {
    await page.goto(`${server.url}/dashboard/#${path}`);
    await page.reload();
    await heading(title).waitFor();
    await settled();
  };
  const openConnectors = () => open('/connectors', 'Connectors');
  const catalog = () => page.getByRole('region', { name: 'Built-in catalog' });
  /** The catalog row whose identifier is exactly `identifier`. */
  const catalogRow = (identifier: string) => catalog().getByRole('row').filter({ has: page.locator('code').getByText(identifier, { exact: true }) });
  const builtIn = async (identifier: string): Promise<Provider> => {
    const response = await server.api('GET', `/api/v1/custom-providers/${identifier}`);
    assert.equal(response.status, 200, `${identifier} is in the shipped catalog: ${response.text}`);
    return response.body.provider;
  };

  before(async () => {
    await ensureDashboardBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel('Client ID').fill(server.clientId);
    await page.getByLabel('Client secret').fill(server.clientSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Connectors').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('lists every built-in connector by name, with category, auth and proxy URL, and no Edit or Delete', async () => {
    const listed = await server.api('GET', '/api/v1/providers?filter.provider_type=DEFAULT&page_size=100');
    const expected = (listed.body.providers as Provider[]).map((p) => p.display_name).sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
    await openConnectors();
    const table = catalog().getByRole('table', { name: 'Built-in connectors' });
    await table.waitFor();
    assert.deepEqual(await table.locator('tbody th strong').allInnerTexts(), expected, 'every built-in, sorted by display name');
    assert.deepEqual(await table.locator('thead th').allInnerTexts().then((names) => names.map((n) => n.toLowerCase())), ['connector', 'category', 'auth', 'proxy url', 'actions']);

    for (const identifier of ['stripe', 'github', 'slack']) {
      const provider = await builtIn(identifier);
      assert.equal(provider.is_custom, false);
      const row = catalogRow(identifier);
      const text = await row.innerText();
      assert.ok(text.includes(provider.display_name) && text.includes(provider.proxy_url), `${identifier}: ${text}`);
      assert.ok(provider.metadata?.category && text.includes(provider.metadata.category), `${identifier} shows its category`);
      const docs = row.getByRole('link', { name: `${provider.display_name} docs (opens in a new tab)` });
      assert.equal(await docs.getAttribute('href'), provider.metadata?.docs_url);
      assert.equal(await docs.getAttribute('target'), '_blank');
      assert.equal(await docs.getAttribute('rel'), 'noopener noreferrer');
    }
    // Built-ins are read-only: the catalog offers no way to change or remove one.
    assert.equal(await catalog().getByRole('link', { name: /^Edit / }).count(), 0);
    assert.equal(await catalog().getByRole('button', { name: /^Delete / }).count(), 0);
    await accessible('connectors with the catalog');
    await screenshot(page, 'catalog-01-connectors');
  });

  test('the search box filters the catalog by name or category and says how many match', async () => {
    await openConnectors();
    const stripe = await builtIn('stripe');
    const github = await builtIn('github');
    const search = catalog().getByRole('search', { name: 'Filter the built-in catalog' }).getByRole('searchbox', { name: 'Search the catalog' });
    await search.fill(stripe.metadata!.category!.toUpperCase());
    await catalogRow('stripe').waitFor();
    assert.equal(await catalogRow('github').count(), github.metadata?.category === stripe.metadata?.category ? 1 : 0);
    assert.match(await catalog().getByRole('status').innerText(), /^\d+ of \d+ built-in connectors match\.$/);

    await search.fill('git');
    await catalogRow('github').waitFor();
    assert.equal(await catalogRow('stripe').count(), 0);

    await search.fill('no-such-connector-anywhere');
    await catalog().getByText('No built-in connector matches').waitFor();
    await accessible('catalog with no match');
    await search.fill('');
    await catalogRow('stripe').waitFor();
  });

  test('"New connection" opens the connection form with that connector chosen', async () => {
    await openConnectors();
    const github = await builtIn('github');
    await catalogRow('github').getByRole('link', { name: `New connection for ${github.display_name}` }).click();
    await heading('Connections').waitFor();
    await settled();
    assert.match(page.url(), /#\/connections\?connector=github$/);
    assert.equal(await page.getByLabel('Connector').inputValue(), 'github');
    // The form follows the chosen connector: an OAuth one asks for the OAuth app.
    assert.equal(await page.getByLabel('Client ID').isVisible(), github.auth_patterns[0]?.type === 'OAUTH');
    await accessible('connections with a preselected connector');
    await screenshot(page, 'catalog-02-new-connection');

    // Without the query the form starts as before, on the first connector.
    await open('/connections', 'Connections');
    const first = await page.getByLabel('Connector').locator('option').first().getAttribute('value');
    assert.equal(await page.getByLabel('Connector').inputValue(), first);

    // Custom connectors, then the catalog, each group by name.
    const groups = await page.getByLabel('Connector').locator('optgroup').evaluateAll((nodes) =>
      nodes.map((node) => ({ label: node.getAttribute('label'), names: [...node.querySelectorAll('option')].map((o) => o.textContent ?? '') })),
    );
    assert.equal(groups.at(-1)?.label, 'Built-in connectors');
    const names = groups.at(-1)!.names;
    assert.ok(names.length >= 15);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' })));
    if (groups.length === 2) assert.equal(groups[0]?.label, 'Custom connectors');
  });

  test('"Customize" opens the editor with the built-in definition, and saving creates a custom connector of its own', async () => {
    await openConnectors();
    const stripe = await builtIn('stripe');
    await catalogRow('stripe').getByRole('link', { name: `Customize ${stripe.display_name}` }).click();
    await heading(`Customize ${stripe.display_name}`).waitFor();
    await settled();
    assert.match(page.url(), /#\/connectors\/new\?from=stripe$/);
    const yaml = await page.getByLabel('Definition').inputValue();
    assert.ok(yaml.includes(`proxy_url: ${stripe.proxy_url}`), yaml);
    assert.ok(yaml.includes(`display_name: ${stripe.display_name} (custom)`), yaml);
    for (const field of ['identifier', 'is_custom', 'created_at', 'updated_at']) assert.doesNotMatch(yaml, new RegExp(`^${field}:`, 'm'), `${field} is the server's, not the definition's`);
    await accessible('connector editor prefilled from the catalog');
    await screenshot(page, 'catalog-03-customize');

    await page.getByRole('button', { name: 'Create connector' }).click();
    await heading('Connectors').waitFor();
    const custom = await server.api('GET', '/api/v1/providers?filter.provider_type=CUSTOM&page_size=100');
    const copy = (custom.body.providers as Provider[]).find((p) => p.display_name === `${stripe.display_name} (custom)`);
    assert.ok(copy, 'the copy is a custom connector');
    assert.notEqual(copy.identifier, 'stripe');
    assert.equal(copy.is_custom, true);
    assert.equal(copy.proxy_url, stripe.proxy_url);
    const row = page.getByRole('region', { name: 'Custom connectors' }).getByRole('row').filter({ hasText: copy.identifier });
    await row.getByRole('link', { name: `Edit ${copy.display_name}` }).waitFor();
    assert.equal((await builtIn('stripe')).display_name, stripe.display_name, 'the built-in is unchanged');
  });

  test('an empty catalog says so, and a docs link that is not https is not offered', async () => {
    const entry = (identifier: string, docs: string) => ({
      id: `prov_${identifier}`,
      identifier,
      display_name: identifier,
      proxy_url: `https://api.${identifier}.example`,
      proxy_enabled: true,
      auth_patterns: [{ type: 'BEARER' }],
      metadata: { category: 'Testing', docs_url: docs },
      is_custom: false,
      created_at: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T00:00:00.000Z',
    });
    let providers: unknown[] = [];
    await page.route(/\/api\/v1\/providers\?.*filter\.provider_type=DEFAULT/, (route) => route.fulfill({ json: { providers, next_page_token: null } }));
    try {
      await openConnectors();
      await catalog().getByText('No built-in connectors').waitFor();
      assert.match(await catalog().innerText(), /started with an empty connector catalog/);
      assert.equal(await catalog().getByRole('searchbox').count(), 0);
      await accessible('connectors with an empty catalog');

      providers = [entry('plain', 'http://docs.plain.example/auth'), entry('scripted', 'javascript:alert(1)'), entry('safe', 'https://docs.safe.example/auth')];
      await openConnectors();
      await catalogRow('safe').waitFor();
      assert.equal(await catalog().getByRole('link', { name: /docs/ }).count(), 1);
      assert.equal(await catalogRow('safe').getByRole('link', { name: /docs/ }).getAttribute('href'), 'https://docs.safe.example/auth');
    } finally {
      await page.unroute(/\/api\/v1\/providers\?.*filter\.provider_type=DEFAULT/);
    }
  });

  test('the strict CSP did not block anything the catalog needs', () => {
    assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e)), []);
  });
});
