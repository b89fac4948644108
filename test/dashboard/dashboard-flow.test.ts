import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, ensureDashboardBuilt, launchBrowser, screenshot } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The operator's whole journey in a real browser (Debian's Chromium): sign in → create a custom
 * API_KEY connector (seeing inline validation errors first) → create a connection → create an
 * authorization link → the user opens it and submits the hosted form → the account is ACTIVE in
 * the Connected Accounts tab → a proxied call shows up in the request log and its chart.
 * Every page is screenshotted to test-artifacts/dashboard/ and checked with axe-core.
 */

const skip = browserSkipReason();
const API_KEY = 'sk_live_dashboard_flow_4242';
const BRAND = { TOOLPROXY_BRAND_NAME: 'Acme Connect', TOOLPROXY_BRAND_COLOR: '#0e7490' };

describe('dashboard in a real browser', { skip }, () => {
  let upstream: Upstream;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Console errors, CSP violations included: a strict CSP must not break the app. */
  // Code run in the page is passed as strings: this project's TypeScript has no DOM types.
  const consoleErrors: string[] = [];

  /** The journey is sequential: after one step fails, the later ones are skipped, not failed in a cascade. */
  let failedStep: string | undefined;
  const step = (name: string, fn: () => Promise<void>) =>
    test(name, async (t) => {
      if (failedStep) return t.skip(`needs "${failedStep}"`);
      try {
        await fn();
      } catch (error) {
        failedStep = name;
        throw error;
      }
    });

  const accessible = async (name: string) => {
    const problems = await accessibilityProblems(page);
    assert.deepEqual(problems, [], `axe on ${name}:\n${problems.join('\n')}`);
  };
  const heading = (text: string | RegExp) => page.getByRole('heading', { level: 1, name: text });
  const goTo = async (link: string, title: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
    await heading(title).waitFor();
    await page.locator('main[aria-busy]').waitFor({ state: 'detached' });
  };

  before(async () => {
    await ensureDashboardBuilt();
    upstream = await startUpstream();
    server = await startTestServer({ env: BRAND });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await upstream?.close();
  });

  step('sign-in page: labelled fields, wrong secret refused, then signed in', async () => {
    const response = await page.goto(`${server.url}/dashboard`);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await heading('Sign in to the dashboard').waitFor();
    assert.equal(await page.title(), 'Sign in · Acme Connect');
    await accessible('sign-in');
    await screenshot(page, '01-sign-in');

    await page.getByLabel('Client ID').fill(server.clientId);
    await page.getByLabel('Client secret').fill('tps_not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong client secret' }).waitFor();
    await accessible('sign-in with an error');

    await page.getByLabel('Client secret').fill(server.clientSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Connectors').waitFor();
    // The secret is kept in memory only: not in storage, not in the DOM.
    const stored = await page.evaluate<string>('JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.documentElement.outerHTML');
    assert.ok(!stored.includes(server.clientSecret), 'the client secret is never stored or shown');
  });

  step('keyboard: skip link first, navigation by Tab and Enter moves focus to the page heading', async () => {
    await page.locator('main[aria-busy]').waitFor({ state: 'detached' });
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');

    const connections = page.getByRole('link', { name: 'Connections', exact: true });
    await connections.focus();
    await page.keyboard.press('Enter');
    await heading('Connections').waitFor();
    await page.waitForFunction(`document.activeElement?.tagName === 'H1'`);
    assert.equal(await connections.getAttribute('aria-current'), 'page');
    await goTo('Connectors', 'Connectors');
  });

  step('connectors: the built-in catalog and no custom ones, then a custom API_KEY connector with inline validation errors first', async () => {
    await page.getByRole('table', { name: 'Built-in connectors' }).waitFor();
    await page.getByText('No custom connectors').waitFor();
    await accessible('connectors (catalog only)');
    await screenshot(page, '02-connectors-catalog');

    await page.getByRole('link', { name: 'New connector' }).click();
    await heading('New connector').waitFor();
    const editor = page.getByLabel('Definition');
    // A syntax error is reported while typing, with its line.
    await editor.fill('display_name: Acme Billing\nproxy_url: [unclosed\n');
    await page.getByRole('alert').filter({ hasText: 'cannot be read' }).waitFor();

    // Schema problems come from the server, each placed on its line.
    await editor.fill(
      [
        'display_name: Acme Billing',
        'proxy_url: ftp://files.acme.example',
        'proxy_enabled: true',
        'auth_patterns:',
        '  - type: API_KEYS',
        '    fields:',
        '      - field_name: api_key',
        '        label: API key',
        '        input_type: password',
        '        required: true',
      ].join('\n'),
    );
    await page.getByRole('button', { name: 'Create connector' }).click();
    const problems = page.getByRole('alert').filter({ hasText: 'problems to fix' });
    await problems.waitFor();
    const text = await problems.innerText();
    assert.match(text, /Line 2: \/proxy_url/);
    assert.match(text, /Line 5: \/auth_patterns\/0\/type/);
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    await accessible('connector editor with problems');
    await screenshot(page, '03-connector-editor-problems');

    // "Go to line" puts the caret on the faulty line.
    await problems.getByRole('button', { name: 'Go to line 5' }).click();
    const selected = await editor.evaluate((el) => {
      const area = el as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return area.value.slice(area.selectionStart, area.selectionEnd);
    });
    assert.equal(selected, '  - type: API_KEYS');

    await editor.fill(
      [
        'display_name: Acme Billing',
        'description: Customers and invoices',
        `proxy_url: ${upstream.url}/api`,
        'proxy_enabled: true',
        'auth_patterns:',
        '  - type: API_KEY',
        '    display_name: API key',
        '    fields:',
        '      - field_name: api_key',
        '        label: API key',
        '        input_type: password',
        '        required: true',
        '    auth_header_key_override: X-API-Key',
      ].join('\n'),
    );
    await page.getByRole('button', { name: 'Create connector' }).click();
    await heading('Connectors').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'acme-billing' });
    await row.waitFor();
    assert.match(await row.innerText(), /API_KEY/);
    await accessible('connectors');
    await screenshot(page, '04-connectors');

    // The editor opens an existing connector as YAML.
    await row.getByRole('link', { name: 'Edit Acme Billing' }).click();
    await heading('Edit Acme Billing').waitFor();
    assert.match(await page.getByLabel('Definition').inputValue(), /auth_header_key_override: X-API-Key/);
    await page.getByRole('radio', { name: 'JSON' }).check();
    await page.waitForFunction(`document.querySelector('textarea').value.trimStart().startsWith('{')`);
    await accessible('connector editor');
    await screenshot(page, '05-connector-edit-json');
  });

  step('connections: create one and see it listed', async () => {
    await goTo('Connections', 'Connections');
    await page.getByLabel('Connector').selectOption('acme-billing');
    // API_KEY connectors need no OAuth app: those fields stay hidden.
    assert.equal(await page.getByLabel('Client secret').isVisible(), false);
    await page.getByLabel('Name', { exact: true }).fill('bad name');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.locator('#' + (await page.getByLabel('Name', { exact: true }).getAttribute('id')) + '-error').filter({ hasText: 'letters, digits' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('acme');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection acme created' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'acme', exact: true }) });
    await row.waitFor();
    assert.match(await row.innerText(), /Enabled/);
    await accessible('connections');
    await screenshot(page, '06-connections');
  });

  step('connections: an OAUTH connection takes a client id, a write-only secret and scopes, and shows its redirect URI', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', {
      display_name: 'Acme OAuth',
      proxy_url: `${upstream.url}/api`,
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'OAUTH',
          oauth_config: {
            authorize_uri: 'https://auth.acme.example/authorize',
            token_uri: 'https://auth.acme.example/token',
            available_scopes: [{ scope: 'customers:read', required: true }, { scope: 'invoices:read' }],
          },
        },
      ],
    });
    assert.equal(created.status, 201, created.text);
    await page.reload();
    await heading('Connections').waitFor();
    await page.getByLabel('Connector').selectOption(created.body.provider.identifier);
    await page.getByText('This connector offers: customers:read invoices:read').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('acme-oauth');
    await page.getByLabel('Client ID').fill('acme-client-id');
    const secret = 'oauth-client-secret-never-shown-9876';
    await page.getByLabel('Client secret').fill(secret);
    await page.getByLabel('Scopes').fill('customers:read invoices:read');
    await page.getByRole('button', { name: 'Create connection' }).click();
    const redirect = page.getByRole('textbox', { name: 'Redirect URI' });
    await redirect.waitFor();
    assert.match(await redirect.inputValue(), /^http:\/\/127\.0\.0\.1:\d+\/.+/);
    assert.equal(await page.getByLabel('Client secret').inputValue(), '', 'the secret field is cleared');
    const row = page.getByRole('row').filter({ hasText: 'acme-oauth' });
    assert.match(await row.innerText(), /client acme-client-id · secret set · customers:read invoices:read/);
    assert.ok(!(await page.content()).includes(secret), 'the client secret is never shown');
    await accessible('connections (OAuth)');
    await screenshot(page, '06b-connections-oauth');
  });

  let link = '';

  step('connected accounts: create an authorization link for an identifier', async () => {
    await goTo('Connected accounts', 'Connected accounts');
    const linkForm = page.getByRole('region', { name: 'Create an authorization link' });
    await linkForm.getByLabel('Connection').selectOption('acme');
    await linkForm.getByLabel('Identifier').fill('user_123@example.com');
    await linkForm.getByRole('button', { name: 'Create authorization link' }).click();
    const linkBox = page.getByRole('textbox', { name: 'Authorization link' });
    await linkBox.waitFor();
    link = await linkBox.inputValue();
    assert.match(link, /\/connect\/tpl_/);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), link);

    const row = page.getByRole('row').filter({ hasText: 'user_123@example.com' });
    await row.getByText('PENDING_AUTH').waitFor();
    await accessible('connected accounts');
    await screenshot(page, '07-accounts-link');
  });

  step('the user opens the link, sees the branded hosted form and submits it', async () => {
    const user = await context.newPage();
    user.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`hosted: ${message.text()}`);
    });
    const response = await user.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /style-src 'sha256-/);
    await user.getByRole('heading', { name: 'Connect Acme Billing' }).waitFor();
    await user.getByText('Acme Connect', { exact: true }).waitFor();
    const buttonColour = await user.getByRole('button', { name: 'Connect' }).evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor);
    assert.equal(buttonColour, 'rgb(14, 116, 144)', 'the brand colour from TOOLPROXY_BRAND_COLOR');
    const previous = page;
    page = user;
    await accessible('hosted credential form');
    await screenshot(page, '08-hosted-form');

    // Submitting empty shows the problem next to the field.
    await user.getByRole('button', { name: 'Connect' }).click();
    await user.getByRole('alert').waitFor();
    await accessible('hosted credential form with an error');
    await screenshot(page, '09-hosted-form-error');

    await user.setViewportSize({ width: 375, height: 740 });
    assert.ok(await user.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no sideways scrolling on a phone');
    await screenshot(page, '10-hosted-form-mobile');
    await user.getByLabel('API key').fill(API_KEY);
    await user.getByRole('button', { name: 'Connect' }).click();
    await user.getByRole('heading', { name: 'Connected' }).waitFor();
    await accessible('hosted success page');
    await screenshot(page, '11-hosted-success');
    page = previous;
    await user.close();
  });

  step('the account is ACTIVE in the Connected Accounts tab; search and filters find it', async () => {
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: 'user_123@example.com' });
    await row.getByText('ACTIVE', { exact: true }).waitFor();
    const filters = page.getByRole('search', { name: 'Filter connected accounts' });
    await filters.getByLabel('Status').selectOption('PENDING_AUTH');
    await page.getByText('No connected accounts match').waitFor();
    await filters.getByLabel('Status').selectOption('ACTIVE');
    await row.waitFor();
    await filters.getByLabel('Identifier').fill('user_123@example.com');
    await filters.getByRole('button', { name: 'Search' }).click();
    await row.getByText('ACTIVE', { exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(API_KEY), 'credentials never reach the dashboard');
    await accessible('connected accounts (active)');
    await screenshot(page, '12-accounts-active');
  });

  step('deleting asks first in a dialog: Escape cancels, a refused delete says why, a confirmed one removes the row', async () => {
    const extra = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'acme', identifier: 'user_to_delete' });
    assert.equal(extra.status, 201);
    await goTo('Connected accounts', 'Connected accounts');
    const row = page.getByRole('row').filter({ hasText: 'user_to_delete' });
    const remove = row.getByRole('button', { name: 'Delete user_to_delete on acme' });
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect user_to_delete?' });
    await dialog.waitFor();
    await accessible('delete dialog');
    await screenshot(page, '12b-delete-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await remove.evaluate((el) => el === el.ownerDocument.activeElement), true, 'focus returns to the button');
    await remove.click();
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await server.api('GET', `/api/v1/connected_accounts/${extra.body.connected_account.id}`)).status, 404);

    await goTo('Connections', 'Connections');
    await page.getByRole('button', { name: 'Delete acme', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete connection' }).click();
    await page.getByRole('alert').filter({ hasText: 'has connected accounts' }).waitFor();
  });

  step('request log: charts of volume, error rate and p50/p99 latency drawn from the stats buckets', async () => {
    // The server's data is exercised by the next test; this one pins the drawing to known buckets.
    const start = Date.parse('2025-01-01T12:00:00Z');
    const buckets = Array.from({ length: 60 }, (_, i) => {
      const count = i % 10 === 0 ? 0 : (i % 7) + 1;
      return { start: new Date(start + i * 60_000).toISOString(), count, errors: i % 15 === 1 ? 1 : 0, p50_ms: count ? 20 + i : null, p99_ms: count ? 80 + 3 * i : null };
    });
    const entries = [
      { id: '2', created_at: new Date(start + 3_540_000).toISOString(), connection_name: 'acme', identifier: 'user_123@example.com', account_id: 'ca_x', method: 'POST', path: '/v1/customers', status: 502, latency_ms: 31.4, bytes_in: 120, bytes_out: 2048, error_code: 'UPSTREAM_UNREACHABLE' },
      { id: '1', created_at: new Date(start + 3_500_000).toISOString(), connection_name: 'acme', identifier: 'user_123@example.com', account_id: 'ca_x', method: 'GET', path: '/v1/customers?limit=3', status: 200, latency_ms: 12, bytes_in: 0, bytes_out: 5300, error_code: null },
    ];
    const asked: URL[] = [];
    await page.route(/\/api\/v1\/request_log/, (route) => {
      const url = new URL(route.request().url());
      asked.push(url);
      return route.fulfill({ json: url.pathname.endsWith('/stats') ? { buckets } : { entries, next_before: null } });
    });
    try {
      await goTo('Request log', 'Request log');
      await page.getByRole('row').filter({ hasText: 'UPSTREAM_UNREACHABLE' }).waitFor();
      const total = buckets.reduce((sum, b) => sum + b.count, 0);
      const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
      assert.equal(await page.locator('#chart-volume rect').count(), buckets.filter((b) => b.count).length);
      assert.match(await page.locator('#chart-volume figcaption').innerText(), new RegExp(`${total} calls`));
      assert.match(await page.locator('#chart-errors figcaption').innerText(), new RegExp(`${errors} of ${total} calls failed`));
      assert.equal(await page.locator('#chart-latency path').count(), 2, 'p50 and p99 lines');
      assert.match(await page.locator('#chart-latency figcaption').innerText(), /p99 latency peaked at 257 ms/);
      assert.equal(await page.getByRole('img', { name: /Requests/ }).count(), 1, 'each chart is one labelled image');

      // Filters reach the API.
      await page.getByLabel('Status').selectOption('error');
      await page.getByLabel('Identifier or account id').fill('user_123@example.com');
      await page.getByLabel('Time window').selectOption({ label: 'Last 24 hours' });
      await page.waitForFunction(`!document.querySelector('main[aria-busy]')`);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('button[aria-busy]').waitFor({ state: 'detached' });
      const list = asked.filter((u) => !u.pathname.endsWith('/stats')).at(-1)!;
      assert.equal(list.searchParams.get('status'), 'error');
      assert.equal(list.searchParams.get('identifier'), 'user_123@example.com');
      const stats = asked.filter((u) => u.pathname.endsWith('/stats')).at(-1)!;
      assert.equal(stats.searchParams.get('window_minutes'), '1440');
      assert.equal(stats.searchParams.get('bucket_seconds'), '1800');
      await accessible('request log (charts)');
      await screenshot(page, '13a-request-log-charts');
    } finally {
      await page.unroute(/\/api\/v1\/request_log/);
      await page.getByLabel('Status').selectOption('');
      await page.getByLabel('Identifier or account id').fill('');
      await page.getByLabel('Time window').selectOption({ label: 'Last hour' });
    }
  });

  step('dark mode and a phone screen keep the pages accessible', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await goTo('Connected accounts', 'Connected accounts');
    await accessible('connected accounts (dark)');
    await screenshot(page, '14-accounts-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await goTo('Connections', 'Connections');
    await accessible('connections (dark, phone)');
    await screenshot(page, '15-connections-phone-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  step('a call through the proxy appears in the request log and its chart', async () => {
    const token = await server.token();
    const proxied = await fetch(`${server.url}/proxy/v1/customers?limit=1`, {
      headers: { authorization: `Bearer ${token}`, connection_name: 'acme', identifier: 'user_123@example.com' },
    });
    assert.equal(proxied.status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-api-key'], API_KEY);

    // The log is written off the request path: wait (bounded) until the API has the entry.
    let entries: { path: string }[] = [];
    for (let attempt = 0; attempt < 50 && !entries.some((e) => e.path.includes('/v1/customers')); attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const log = await server.api('GET', '/api/v1/request_log?limit=10');
      assert.notEqual(log.status, 404, 'GET /api/v1/request_log is not on this server yet');
      entries = log.body.entries;
    }

    await goTo('Request log', 'Request log');
    const row = page.getByRole('row').filter({ hasText: '/v1/customers' });
    await row.waitFor();
    assert.match(await row.innerText(), /GET/);
    assert.match(await row.innerText(), /200/);
    const points = await page.locator('#chart-volume svg').getAttribute('data-points');
    assert.ok(Number(points) >= 1, 'the volume chart has the call');
    assert.match(await page.locator('#chart-volume figcaption').innerText(), /1 call/);
    await accessible('request log');
    await screenshot(page, '13-request-log');
  });

  step("a connection's policy is shown and edited as JSON, with the server's problems listed", async () => {
    await goTo('Connections', 'Connections');
    await page.getByRole('button', { name: 'Policy of acme', exact: true }).click();
    const editor = page.getByLabel('Policy of acme (JSON)');
    await page.getByText('No policy: every call is allowed.').waitFor();
    await editor.fill('{"read_only": true, "allowed_methods": ["GET", "DELETE"], "paths": {"deny": ["admin"]}}');
    await page.getByRole('button', { name: 'Save policy' }).click();
    const problems = page.getByRole('alert').filter({ hasText: 'contradicts read_only' });
    await problems.waitFor();
    assert.match(await problems.innerText(), /\/paths\/deny\/0: must start with \//);
    await accessible('connection policy with problems');
    await editor.fill('{"read_only": true, "paths": {"deny": ["/v1/admin/**"]}}');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText(/^Saved /).waitFor();
    assert.deepEqual((await server.api('GET', '/api/v1/connections/acme/policy')).body.policy, { read_only: true, paths: { deny: ['/v1/admin/**'] } });
    await screenshot(page, '17-connection-policy');
    await page.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByText('No policy: every call is allowed.').waitFor();
    assert.equal((await server.api('GET', '/api/v1/connections/acme/policy')).body.policy, null);
  });

  step('a connector whose proxy_url the egress policy refuses is saved with a warning that says so', async () => {
    await goTo('Connectors', 'Connectors');
    await page.getByRole('link', { name: 'New connector' }).click();
    await heading('New connector').waitFor();
    await page.getByLabel('Definition').fill(
      [
        'display_name: Intranet API',
        'proxy_url: http://10.20.30.40/api',
        'auth_patterns:',
        '  - type: BEARER',
        '    fields:',
        '      - { field_name: token, label: Token, input_type: password, required: true }',
      ].join('\n'),
    );
    await page.getByRole('button', { name: 'Create connector' }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'Intranet API is saved, but calls to it will be refused' });
    await warning.waitFor();
    assert.match(await warning.innerText(), /Line 2: \/proxy_url\s+10\.20\.30\.40 is a loopback, private or reserved address[\s\S]*TOOLPROXY_EGRESS_ALLOW_CIDRS/);
    await accessible('connector saved with a warning');
    await screenshot(page, '16-connector-saved-with-warning');
    await page.getByRole('link', { name: 'Back to connectors' }).click();
    await page.getByRole('row').filter({ hasText: 'intranet-api' }).waitFor();
  });

  test('the strict CSP did not block anything the dashboard needs', () => {
    // Refused calls (4xx) the test made on purpose are logged by the browser too; anything else is a bug.
    assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e)), []);
  });
});
