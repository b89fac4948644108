import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, browserSkipReason, launchBrowser, screenshot } from '../helpers/browser.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { MemoryOAuthProvider, startVerifyingApp, type VerifyingApp } from '../helpers/mcp-oauth.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The MCP authorization flow in a real browser (Debian's Chromium): the SDK client's
 * authorization URL → the app's user verification → toolproxy's consent page (its CSP lets the
 * form's redirect reach the client's loopback redirect URI, and nothing else) → the client's
 * callback with the code → the SDK finishes and calls a tool.
 */

const skip = browserSkipReason();

describe('MCP OAuth consent in a real browser', { skip }, () => {
  let upstream: Upstream;
  let server: TestServer;
  let app: VerifyingApp;
  let browser: Browser;
  let callback: http.Server;
  let redirectUrl: string;
  const codes: string[] = [];
  const provider = new LoopbackToolProvider(TEST_TOOLS);

  before(async () => {
    upstream = await startUpstream();
    const appPort = await freePort();
    server = await startTestServer({ database: await createSqliteDatabase(), mcpToolProvider: provider, env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: `http://127.0.0.1:${appPort}`, TOOLPROXY_BRAND_NAME: 'Acme Connect' } });
    provider.attach(server);
    app = await startVerifyingApp(server.api, () => 'alice', appPort);
    await createTestConnections(server.api, upstream.url);
    await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: 'alice-key' } } } });
    callback = http.createServer((req, res) => {
      const code = new URL(req.url ?? '/', 'http://cb.invalid').searchParams.get('code');
      if (code) codes.push(code);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><title>Done</title><h1>You can close this window</h1></html>');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => callback?.close(() => resolve()));
    await app?.close();
    await server?.close();
    await upstream?.close();
  });

  test('the user verifies, reads the consent page, allows, and the client gets its code', async () => {
    const config = (await server.api('POST', '/api/v1/mcp/configs', {
      name: 'browser-host',
      description: 'Invoices for the support agent.',
      connection_tool_mappings: [{ connection_name: 'acme', tools: [] }, { connection_name: 'beta', tools: [] }],
      user_verify_url: app.verifyUrl,
    })).body.mcp_config;
    const host = new MemoryOAuthProvider(redirectUrl, { client_name: 'Claude-like Host' });
    const client = new Client({ name: 'browser-host', version: '1.0.0' });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { authProvider: host })), UnauthorizedError);

    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => /Content Security Policy|Refused/i.test(message.text()) && violations.push(message.text()));
    page.on('response', (response) => response.status() >= 400 && !response.url().endsWith('/favicon.ico') && violations.push(`${response.status()} ${response.url()}`));
    try {
      await page.goto(host.authorizationUrl!.href);
      await page.getByRole('heading', { level: 1, name: 'Allow Claude-like Host to use browser-host?' }).waitFor();
      assert.ok(page.url().startsWith(`${server.url}/oauth2/consent/mar_`));
      const text = await page.locator('main').innerText();
      for (const shown of ['Invoices for the support agent.', 'Acme Billing', 'connected', 'Beta Notes', 'not connected yet', new URL(redirectUrl).host]) assert.ok(text.includes(shown), `consent page shows ${shown}`);
      assert.deepEqual(await accessibilityProblems(page), []);
      await screenshot(page, 'mcp-consent');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.href.startsWith(redirectUrl));
      assert.deepEqual(violations, [], 'no CSP violation on the way back to the client');
    } finally {
      await context.close();
    }
    assert.equal(codes.length, 1);
    const transport = new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { authProvider: host });
    await transport.finishAuth(codes[0]!);
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
      assert.deepEqual(tools, ['acme_broken', 'acme_create_customer', 'acme_list_customers', 'authorize_beta']);
    } finally {
      await client.close();
    }
  });
});
