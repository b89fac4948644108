import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, ensureDashboardBuilt, launchBrowser, openPage, screenshot, signIn } from '../helpers/browser.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections } from '../helpers/mcp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** The MCP servers page in a real browser: create (a refused name shown at its field first), list, edit, delete. */

const skip = browserSkipReason();

describe('dashboard: MCP servers', { skip }, () => {
  let upstream: Upstream;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const heading = (name: string) => page.getByRole('heading', { level: 1, name });

  before(async () => {
    await ensureDashboardBuilt();
    upstream = await startUpstream();
    server = await startTestServer({ database: await createSqliteDatabase() });
    await createTestConnections(server.api, upstream.url);
    browser = await launchBrowser();
    page = await openPage(browser, errors);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await upstream?.close();
  });

  test('create, list, edit and delete an MCP server', async () => {
    await signIn(page, server.url, server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MCP servers' }).click();
    await heading('MCP servers').waitFor();
    await page.getByText('No MCP servers yet').waitFor();

    // A name the server refuses: the problem shows at the field.
    await page.getByLabel('Name').fill('Support Agent');
    await page.getByRole('checkbox', { name: /acme/ }).check();
    await page.getByLabel('Tools of acme').fill('acme_list_customers, acme_create_customer');
    await page.getByRole('button', { name: 'Create MCP server' }).click();
    await page.getByText('must be 1-100 characters of a-z, 0-9, _ and -').waitFor();
    assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await accessibilityProblems(page), []);

    await page.getByLabel('Name').fill('support-agent');
    await page.getByRole('button', { name: 'Create MCP server' }).click();
    await page.getByRole('status').filter({ hasText: 'MCP server support-agent created' }).waitFor();
    const url = await page.getByLabel('MCP server URL').inputValue();
    assert.match(url, new RegExp(`^${server.url}/mcp/mcp_`));
    const row = page.getByRole('table', { name: 'MCP servers' }).getByRole('row', { name: /support-agent/ });
    await row.getByText('acme (2 tools)').waitFor();
    assert.deepEqual(await accessibilityProblems(page), []);
    await screenshot(page, 'mcp-servers');

    await row.getByRole('link', { name: 'Edit support-agent' }).click();
    await heading('Edit support-agent').waitFor();
    assert.equal(await page.getByLabel('Tools of acme').inputValue(), 'acme_list_customers, acme_create_customer');
    await page.getByRole('checkbox', { name: /beta/ }).check();
    await page.getByLabel('Description').fill('Billing and notes');
    await page.getByRole('button', { name: 'Save MCP server' }).click();
    await heading('MCP servers').waitFor();
    await page.getByRole('table', { name: 'MCP servers' }).getByText('acme (2 tools), beta').waitFor();
    const saved = (await server.api('GET', `/api/v1/mcp/configs/${url.split('/').pop()}`)).body.mcp_config;
    assert.equal(saved.description, 'Billing and notes');
    assert.deepEqual(saved.connection_tool_mappings, [{ connection_name: 'acme', tools: ['acme_list_customers', 'acme_create_customer'] }, { connection_name: 'beta', tools: [] }]);

    await page.getByRole('button', { name: 'Delete support-agent' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete MCP server' }).click();
    await page.getByText('No MCP servers yet').waitFor();
    assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  });
});
