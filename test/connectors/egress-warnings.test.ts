import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConnectorDefinition } from '../../src/connectors/definition-schema.ts';
import { egressWarnings } from '../../src/connectors/egress-warnings.ts';
import { EgressPolicy } from '../../src/proxy/egress-policy.ts';

/** Save-time warnings use the egress policy's own verdict, so they agree with what a call would meet. */

const strict = new EgressPolicy({ allowCidrs: [] });
const allows = (address: string) => strict.allowsAddress(address);

function apiKey(proxyUrl: string): ConnectorDefinition {
  return {
    display_name: 'Acme',
    proxy_url: proxyUrl,
    proxy_enabled: true,
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
  } as ConnectorDefinition;
}

describe('egressWarnings', () => {
  test('warns about a proxy_url the egress policy refuses: loopback, private, link-local, IPv6 loopback, localhost names', () => {
    for (const url of ['http://127.0.0.1:8080/v1', 'https://10.1.2.3/api', 'http://169.254.169.254/latest', 'http://[::1]:9000', 'http://localhost:3000', 'https://api.localhost/v1']) {
      const warnings = egressWarnings(apiKey(url), allows);
      assert.equal(warnings.length, 1, url);
      assert.equal(warnings[0]!.code, 'UPSTREAM_ADDRESS_FORBIDDEN');
      assert.equal(warnings[0]!.path, '/proxy_url');
      assert.match(warnings[0]!.message, /TOOLPROXY_EGRESS_ALLOW_CIDRS/);
    }
  });

  test('says nothing about public addresses, names (judged after DNS, at call time) or template hosts', () => {
    for (const url of ['https://api.acme.example/v1', 'https://8.8.8.8/x', 'https://{{domain}}/api', 'https://{{subdomain}}.zendesk.com/api/v2']) {
      assert.deepEqual(egressWarnings(apiKey(url), allows), [], url);
    }
  });

  test('follows the allow-list: an allowed range is no warning, the rest still is', () => {
    const onPrem = new EgressPolicy({ allowCidrs: ['127.0.0.0/8', '::1/128'] });
    const check = (address: string) => onPrem.allowsAddress(address);
    assert.deepEqual(egressWarnings(apiKey('http://localhost:3000'), check), []);
    assert.equal(egressWarnings(apiKey('http://10.0.0.5'), check).length, 1);
  });

  test('checks the OAuth token and revocation endpoints the server calls, not the browser-facing authorize_uri', () => {
    const definition = {
      display_name: 'Corp IdP',
      proxy_url: 'https://api.corp.example',
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'OAUTH',
          oauth_config: { authorize_uri: 'http://127.0.0.1/authorize', token_uri: 'http://127.0.0.1/token', revoke_uri: 'http://10.0.0.9/revoke' },
        },
      ],
    } as unknown as ConnectorDefinition;
    assert.deepEqual(
      egressWarnings(definition, allows).map((w) => w.path),
      ['/auth_patterns/0/oauth_config/token_uri', '/auth_patterns/0/oauth_config/revoke_uri'],
    );
  });
});
