import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { AuthorizationDetailsSchema } from '../../src/compat/descriptors.ts';
import type { TestServer } from '../helpers/server.ts';

/**
 * An API_KEY connector (`X-API-Key`, plus a non-secret `region` field that shapes proxy_url)
 * and a connection named `name` on it, created through the REST API.
 */
export async function apiKeyConnection(server: TestServer, name: string, upstreamUrl: string, options: { region?: boolean } = {}): Promise<string> {
  const fields = [
    { field_name: 'api_key', label: 'API key', input_type: 'password', required: true },
    ...(options.region ? [{ field_name: 'region', label: 'Region', input_type: 'text', required: true }] : []),
  ];
  const connector = await server.api('POST', '/api/v1/custom-providers', {
    display_name: `${name} API`,
    proxy_url: options.region ? `${upstreamUrl}/{{region}}` : `${upstreamUrl}/api`,
    proxy_enabled: true,
    auth_patterns: [{ type: 'API_KEY', display_name: 'API key', fields, auth_header_key_override: 'X-API-Key' }],
  });
  assert.equal(connector.status, 201, connector.text);
  const connection = await server.api('POST', '/api/v1/connections', { name, connector: connector.body.provider.identifier });
  assert.equal(connection.status, 201, connection.text);
  return connector.body.provider.identifier as string;
}

/** Bring-your-own credentials as a typed SDK caller builds them (the SDK's own generated schema). */
export function staticAuth(details: Record<string, unknown>) {
  return create(AuthorizationDetailsSchema, { details: { case: 'staticAuth', value: { details: details as never } } });
}
