/**
 * Connector definitions as written for the reference (agent-auth-features.md §1.4, verbatim
 * shapes), plus a few common real-world ones. Each call returns a fresh copy.
 */

export const asana = () => ({
  display_name: 'My Asana',
  description: 'Connect to Asana…',
  auth_patterns: [
    {
      type: 'OAUTH',
      display_name: 'OAuth 2.0',
      description: '…',
      fields: [],
      oauth_config: {
        authorize_uri: 'https://app.asana.com/-/oauth_authorize',
        token_uri: 'https://app.asana.com/-/oauth_token',
        user_info_uri: 'https://app.asana.com/api/1.0/users/me',
        available_scopes: [{ scope: 'profile', display_name: 'Profile', description: '…', required: true }],
      },
    },
  ],
  proxy_url: 'https://app.asana.com/api',
  proxy_enabled: true,
});

export const freshdesk = () => ({
  display_name: 'My Freshdesk',
  auth_patterns: [
    {
      type: 'BASIC',
      display_name: 'Basic Auth',
      fields: [
        { field_name: 'domain', label: 'Freshdesk Domain', input_type: 'text', required: true },
        { field_name: 'username', label: 'API Key', input_type: 'password', required: true },
      ],
      auth_field_mutations: { password: { default: 'X' } },
    },
  ],
  proxy_url: 'https://{{domain}}/api',
  proxy_enabled: true,
});

export const klaviyo = () => ({
  display_name: 'My Klaviyo',
  auth_patterns: [
    {
      type: 'API_KEY',
      display_name: 'API Key',
      fields: [{ field_name: 'api_key', label: 'API Key', input_type: 'password', required: true }],
      auth_header_key_override: 'x-api-key',
      auth_field_mutations: { api_key: { prefix: 'Klaviyo-API-Key ' } },
    },
  ],
  proxy_url: 'https://a.klaviyo.com',
  proxy_enabled: true,
});

export const githubMcp = () => ({
  display_name: 'Github MCP',
  auth_patterns: [
    { type: 'OAUTH', display_name: 'OAuth 2.1/DCR', fields: [], is_mcp: true, oauth_config: { pkce_enabled: true } },
  ],
  proxy_url: 'https://api.githubcopilot.com/mcp/',
  proxy_enabled: true,
});

/** Zendesk API tokens: Basic auth with `email/token` as the user-id (reference §1.3). */
export const zendesk = () => ({
  display_name: 'Zendesk',
  proxy_url: 'https://{{subdomain}}.zendesk.com/api/v2',
  auth_patterns: [
    {
      type: 'BASIC',
      display_name: 'API token',
      fields: [
        { field_name: 'subdomain', label: 'Subdomain', input_type: 'text', required: true },
        { field_name: 'username', label: 'Email', input_type: 'text', required: true },
        { field_name: 'password', label: 'API token', input_type: 'password', required: true },
      ],
      auth_field_mutations: { username: { suffix: '/token' } },
    },
  ],
});

/** A bearer connector as the reference's Python SDK serialises it (label "", no `required`). */
export const pythonSdkBearer = () => ({
  display_name: 'Linear',
  proxy_url: 'https://api.linear.app',
  proxy_enabled: true,
  auth_patterns: [{ type: 'BEARER', display_name: 'API Token', fields: [{ field_name: 'token', label: '', input_type: 'password' }] }],
});
