import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  CONNECTOR_DEFINITION_SCHEMA_ID,
  connectorDefinitionJsonSchema,
  type AuthPattern,
} from '../../src/connectors/definition-schema.ts';
import { asana, freshdesk, klaviyo, pythonSdkBearer, zendesk } from './reference-definitions.ts';

// A strict JSON Schema validator must compile the export (the same ajv that fastify uses).
const Ajv = Ajv2020 as unknown as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };

describe('connectorDefinitionJsonSchema', () => {
  const schema = connectorDefinitionJsonSchema();

  test('is a plain object schema with $id, title and the required top-level properties', () => {
    assert.equal(schema['$id'], CONNECTOR_DEFINITION_SCHEMA_ID);
    assert.equal(schema['$id'], 'https://toolproxy.dev/schemas/connector-definition.json');
    assert.equal(schema['type'], 'object');
    assert.equal(typeof schema['title'], 'string');
    assert.deepEqual([...(schema['required'] as string[])].sort(), ['auth_patterns', 'display_name', 'proxy_url']);
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema, 'survives a JSON round trip');
  });

  test('does not require properties that have a default', () => {
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.equal(properties['proxy_enabled']!['default'], true);
    const text = JSON.stringify(schema);
    assert.doesNotMatch(text, /"required":\[[^\]]*"(pkce_enabled|is_path_param|input_type|label|fields|account_fields|available_scopes)"/);
  });

  test('describes its fields and carries no private keywords', () => {
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.equal(typeof properties['proxy_url']!['description'], 'string');
    assert.doesNotMatch(JSON.stringify(schema), /errorMessage/);
  });

  test('compiles under a strict JSON Schema 2020-12 validator and accepts the reference examples', () => {
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    for (const definition of [asana(), freshdesk(), klaviyo(), zendesk(), pythonSdkBearer()]) {
      assert.equal(validate(definition), true, JSON.stringify(validate.errors));
    }
    assert.equal(validate({ ...klaviyo(), proxy_url: 'file:///etc/passwd' }), false);
    assert.equal(validate({ ...klaviyo(), auth_patterns: [] }), false);
  });

  test('an OAUTH config needs its endpoints, or an issuer to discover them from (RFC 8414)', () => {
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    const oauth = (config: object) => ({ display_name: 'X', proxy_url: 'https://api.x.example', auth_patterns: [{ type: 'OAUTH', oauth_config: config }] });
    assert.equal(validate(oauth({ authorize_uri: 'https://x.example/a', token_uri: 'https://x.example/t' })), true, JSON.stringify(validate.errors));
    assert.equal(validate(oauth({ issuer: 'https://x.example' })), true, JSON.stringify(validate.errors));
    assert.equal(validate(oauth({ authorize_uri: 'https://x.example/a' })), false);
    assert.equal(validate(oauth({})), false);
  });
});

test('AuthPattern is a discriminated union on type', () => {
  const describe = (pattern: AuthPattern): string => {
    switch (pattern.type) {
      case 'OAUTH':
        return pattern.oauth_config.token_uri ?? pattern.oauth_config.issuer ?? '';
      case 'API_KEY':
        return pattern.auth_query_param ?? 'header';
      case 'BASIC':
      case 'BEARER':
        return pattern.type;
    }
  };
  assert.equal(describe({ type: 'BEARER', fields: [] }), 'BEARER');
});
