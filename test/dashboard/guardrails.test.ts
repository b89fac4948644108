import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, ensureDashboardBuilt, launchBrowser, openPage, signIn } from '../helpers/browser.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * Issue 14's guardrails in a real browser: a connection's policy edited in the Policy panel (a
 * bad one shows the server's problems; a good one holds POSTs for approval), and the held call
 * approved on the Approvals page, after which it reaches the upstream exactly once.
 */
const skip = browserSkipReason();

describe('dashboard: policy and approvals', { skip }, () => {
  let upstream: Upstream;
  let server: TestServer;
  let token: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    await ensureDashboardBuilt();
    upstream = await startUpstream();
    server = await startTestServer({ database: await createSqliteDatabase() });
    token = await server.token();
    await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url });
    browser = await launchBrowser();
    page = await openPage(browser, errors);
    await signIn(page, server.url, server);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await upstream?.close();
  });

  test('the Policy panel lists a bad policy\'s problems, saves a good one, and the proxy applies it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'Policy of crm' }).click();
    const editor = page.getByLabel('Policy of crm (JSON)');
    await editor.fill('{ "read_only": "yes", "allowed_methods": ["FETCH"] }');
    await page.getByRole('button', { name: 'Save policy' }).click();
    const alert = page.getByRole('form', { name: 'Policy of crm' }).getByRole('alert');
    await alert.waitFor();
    const problems = (await alert.textContent()) ?? '';
    assert.match(problems, /read_only/);
    assert.match(problems, /allowed_methods/);
    assert.equal((await server.api('GET', '/api/v1/connections/crm/policy')).body.policy, null, 'nothing was saved');
    // Chromium logs the refused save's 422 itself; the page raised nothing.
    assert.deepEqual(errors.splice(0).filter((e) => !e.includes('status of 422')), []);

    await editor.fill('{ "require_approval": { "methods": ["POST"] } }');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy of crm saved').waitFor();
    assert.deepEqual((await server.api('GET', '/api/v1/connections/crm/policy')).body.policy, { require_approval: { methods: ['POST'] } });
  });

  test('a held POST is approved on the Approvals page and reaches the upstream exactly once', async () => {
    const before = upstream.received.length;
    const held = await call(server, token, 'crm', '/v1/customers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' });
    assert.equal(held.status, 403);
    assert.equal(JSON.parse(held.body.toString('utf8')).error.code, 'APPROVAL_REQUIRED');
    assert.equal(upstream.received.length, before, 'nothing is sent while the call waits for a person');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
    await page.getByRole('button', { name: 'Approve POST /v1/customers' }).click();
    await page.getByRole('button', { name: 'Approve and run' }).click();
    await page.getByText('Approved POST /v1/customers').waitFor();

    const sent = upstream.received.slice(before);
    assert.equal(sent.length, 1, 'the approved call ran once');
    assert.equal(sent[0]!.method, 'POST');
    assert.equal(sent[0]!.body.toString('utf8'), '{"name":"Ada"}');
    const listed = await server.api('GET', '/api/v1/approvals');
    assert.deepEqual(listed.body.approvals.map((a: { status: string }) => a.status), ['EXECUTED']);
    assert.deepEqual(await accessibilityProblems(page), []);
    assert.deepEqual(errors, []);
  });
});
