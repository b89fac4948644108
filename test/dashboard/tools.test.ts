import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, ensureDashboardBuilt, launchBrowser, openPage, signIn } from '../helpers/browser.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { acmeUpstream, createToolFixtures, IDENTIFIER, TOOL_CANARY } from '../sdk/tool-fixtures.ts';

/**
 * The Tools view in a real browser: a connector's tools, one tool's schema and request template,
 * and the "try it" form generated from its input_schema. The dashboard is loaded through a wire
 * recorder (../helpers/wire-recorder.ts) in front of the real server, which keeps the
 * execute_tool bodies the form sends.
 */
const skip = browserSkipReason();

describe('dashboard: tools', { skip }, () => {
  let upstream: Upstream;
  let server: TestServer;
  let stub: WireRecorder;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    await ensureDashboardBuilt();
    upstream = await startUpstream(acmeUpstream);
    server = await startTestServer({ database: await createSqliteDatabase() });
    await createToolFixtures(server.api, upstream.url);
    stub = await startWireRecorder(server.url);
    browser = await launchBrowser();
    page = await openPage(browser, errors);
  });
  after(async () => {
    await browser?.close();
    await stub?.close();
    await server?.close();
    await upstream?.close();
  });

  test('list a connector\'s tools, open one, try it with a generated form: the request sent and the answer', async () => {
    await signIn(page, stub.url, server);
    await page.getByRole('link', { name: 'Tools of Acme' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tools of Acme' }).waitFor();
    assert.deepEqual(await page.locator('tbody th code').allTextContents(), ['acme_customer_get', 'acme_customers_list', 'acme_invoice_create']);
    await page.getByRole('link', { name: 'Open acme_invoice_create' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create an invoice' }).waitFor();
    assert.match(await page.locator('pre.code-block').nth(1).textContent() ?? '', /"path": "\/customers\/\{customer_id\}\/invoices"/);

    // A value the form can tell is wrong is marked at its field; nothing is sent.
    const sent = stub.executions.length;
    await page.getByLabel('Run as').selectOption({ label: `${IDENTIFIER} on acme` });
    await page.getByLabel('customer_id').fill('c_4');
    await page.getByLabel('amount').fill('12.5');
    await page.getByRole('button', { name: 'Run tool' }).click();
    await page.getByText('must be an integer').waitFor();
    assert.equal(stub.executions.length, sent);

    await page.getByLabel('amount').fill('700');
    await page.getByLabel('currency (optional)').selectOption({ label: 'usd' });
    await page.getByRole('button', { name: 'Run tool' }).click();
    await page.getByRole('heading', { name: 'Answer: 200' }).waitFor();
    const blocks = await page.locator('pre.code-block').allTextContents();
    assert.deepEqual(JSON.parse(blocks.at(-2)!), { tool_name: 'acme_invoice_create', params: { customer_id: 'c_4', amount: 700, currency: 'usd' }, connected_account_id: stub.executions.at(-1)!.connected_account_id });
    assert.deepEqual(JSON.parse(blocks.at(-1)!).data, { id: 'inv_1', customer: 'c_4', amount: 700, currency: 'usd' });
    assert.ok(!(await page.content()).includes(TOOL_CANARY));

    // The server's refusal shows as the answer, its problems at their fields.
    await page.getByLabel('amount').fill('0');
    await page.getByRole('button', { name: 'Run tool' }).click();
    await page.getByRole('heading', { name: 'Answer: 400' }).waitFor();
    await page.locator('p.error', { hasText: 'must be >= 1' }).waitFor();
    assert.equal(await page.getByLabel('amount').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await accessibilityProblems(page), []);
  });

  test('the request log names the tool of a tool call, and filters by it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Request log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Request log' }).waitFor();
    await page.getByLabel('Tool').fill('acme_invoice_create');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.getByRole('row').filter({ hasText: 'tool acme_invoice_create' }).filter({ hasText: '/customers/c_4/invoices' });
    await row.first().waitFor();
    assert.ok(!(await page.getByRole('row').filter({ hasText: 'acme_customer_get' }).count()));
    assert.deepEqual(await accessibilityProblems(page), []);
  });

  test('no console errors but the refusals the test asked for', () => {
    assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  });
});
