import assert from 'node:assert/strict';

/**
 * The end-to-end scenario every client runs (Node SDK, Python SDK, CLI): an API_KEY connector on
 * a loopback upstream, the hosted form, proxied GET and POST, a 404 passed through, and the
 * refusal for an account that is not active yet.
 */
export const API_KEY = 'sk_live_scenario_0123456789';

export function apiKeyConnector(upstreamUrl: string, displayName = 'Acme Billing') {
  return {
    display_name: displayName,
    description: 'Customers and invoices',
    proxy_url: `${upstreamUrl}/api`,
    proxy_enabled: true,
    auth_patterns: [
      {
        type: 'API_KEY',
        display_name: 'API key',
        fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
        auth_header_key_override: 'X-API-Key',
      },
    ],
  };
}

/** What the user does with the authorization link: open the hosted form and submit it. */
export async function submitHostedForm(link: string, serverUrl: string, values: Record<string, string> = { api_key: API_KEY }): Promise<void> {
  // The link is built from the public URL; the test server listens on its own loopback port.
  const url = `${serverUrl}${new URL(link).pathname}`;
  const form = await fetch(url);
  assert.equal(form.status, 200, 'the hosted form opens');
  const submitted = await fetch(url, { method: 'POST', body: new URLSearchParams(values) });
  assert.equal(submitted.status, 200, await submitted.text());
}
