import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidDefinition, validateDefinition } from '../../src/connectors/validate-definition.ts';
import { isToolproxyError, type Problem } from '../../src/errors.ts';
import { asana, freshdesk, githubMcp, klaviyo, pythonSdkBearer, zendesk } from './reference-definitions.ts';

function problemsOf(input: unknown): Problem[] {
  const result = validateDefinition(input);
  assert.equal(result.ok, false, 'expected the definition to be refused');
  return result.ok ? [] : result.problems;
}

function only(input: unknown): Problem {
  const problems = problemsOf(input);
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems)}`);
  return problems[0]!;
}

const apiKey = (patternExtra: Record<string, unknown> = {}, topExtra: Record<string, unknown> = {}) => ({
  display_name: 'Acme',
  proxy_url: 'https://api.acme.example/v1',
  auth_patterns: [
    { type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }], ...patternExtra },
  ],
  ...topExtra,
});

describe('reference definitions', () => {
  for (const [name, make] of Object.entries({ asana, freshdesk, klaviyo, zendesk, pythonSdkBearer })) {
    test(`accepts ${name} unchanged`, () => {
      const result = validateDefinition(make());
      assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    });
  }

  test('keeps every authored value and adds only defaults', () => {
    const result = validateDefinition(klaviyo());
    assert.ok(result.ok);
    const pattern = result.definition.auth_patterns[0]!;
    assert.equal(pattern.type, 'API_KEY');
    assert.equal(pattern.auth_header_key_override, 'x-api-key');
    assert.deepEqual(pattern.auth_field_mutations, { api_key: { prefix: 'Klaviyo-API-Key ' } });
    assert.deepEqual(pattern.fields[0], {
      field_name: 'api_key', label: 'API Key', input_type: 'password', required: true, is_path_param: false,
    });
  });

  test('applies defaults: proxy_enabled, pkce_enabled, required, input_type, label', () => {
    const input = asana() as Record<string, unknown>;
    delete input['proxy_enabled'];
    const result = validateDefinition(input);
    assert.ok(result.ok);
    assert.equal(result.definition.proxy_enabled, true);
    const pattern = result.definition.auth_patterns[0]!;
    assert.ok(pattern.type === 'OAUTH');
    assert.equal(pattern.oauth_config.pkce_enabled, true);
    assert.deepEqual(pattern.account_fields, []);

    const bearer = validateDefinition({ display_name: 'B', proxy_url: 'https://b.example', auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token' }] }] });
    assert.ok(bearer.ok);
    assert.deepEqual(bearer.definition.auth_patterns[0]!.fields[0], {
      field_name: 'token', label: '', input_type: 'text', required: false, is_path_param: false,
    });
  });

  test('accepts and stores proxy_enabled: false', () => {
    const result = validateDefinition({ ...klaviyo(), proxy_enabled: false });
    assert.ok(result.ok);
    assert.equal(result.definition.proxy_enabled, false);
  });

  test('ignores read-only fields so a fetched definition can be applied again', () => {
    const fetched = {
      ...klaviyo(),
      identifier: 'prov_123', id: 'prov_123', is_custom: true, is_custom_mcp: false, categories: ['crm'],
      display_priority: 3, coming_soon: false, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z',
      icon_src: '', metadata: {},
    };
    fetched.auth_patterns[0] = { ...fetched.auth_patterns[0]!, is_mcp: false } as never;
    const result = validateDefinition(fetched);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    for (const key of ['identifier', 'id', 'is_custom', 'is_custom_mcp', 'categories', 'created_at', 'icon_src']) {
      assert.equal(key in result.definition, false, key);
    }
    assert.equal('is_mcp' in result.definition.auth_patterns[0]!, false);
  });

  test("ignores the reference's allow_use_scalekit_credentials switch", () => {
    const input = asana();
    Object.assign(input.auth_patterns[0]!.oauth_config, { allow_use_scalekit_credentials: true });
    const result = validateDefinition(input);
    assert.ok(result.ok);
    const pattern = result.definition.auth_patterns[0]!;
    assert.ok(pattern.type === 'OAUTH' && !('allow_use_scalekit_credentials' in pattern.oauth_config));
  });

  test('refuses MCP connectors with one clear problem', () => {
    assert.deepEqual(only(githubMcp()), {
      path: '/auth_patterns/0/is_mcp',
      message: 'is_mcp is not supported yet: toolproxy proxies HTTP APIs; MCP connectors are planned',
    });
    const noAuth = { ...githubMcp(), auth_patterns: [{ type: 'NO_AUTH', fields: [] }] };
    assert.match(only(noAuth).message, /NO_AUTH is only for MCP connectors/);
  });

  test('does not modify its input', () => {
    const input = { ...klaviyo(), identifier: 'x' };
    const before = JSON.stringify(input);
    validateDefinition(input);
    assert.equal(JSON.stringify(input), before);
  });
});

describe('problems', () => {
  test('lists every mistake at once, including the ones a mistake implies', () => {
    const problems = problemsOf({
      display_name: '',
      proxy_url: 'file:///etc/passwd',
      auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'API-Key', input_type: 'password' }] }],
      colour: 'blue',
    });
    // Four mistakes; the misnamed field also leaves the pattern without its api_key field.
    assert.deepEqual(problems.map((p) => p.path), [
      '/colour',
      '/display_name',
      '/proxy_url',
      '/auth_patterns/0/fields/0/field_name',
      '/auth_patterns/0/fields',
    ]);
  });

  test('lists four independent mistakes as exactly four problems', () => {
    const problems = problemsOf({
      display_name: 'Acme',
      proxy_url: 'ws://api.acme.example',
      auth_patterns: [
        {
          type: 'BEARER',
          fields: [{ field_name: 'token', input_type: 'secret' }],
          auth_header_key_override: 'Host',
          auth_field_mutations: { password: { default: 'x' } },
        },
      ],
    });
    assert.deepEqual(problems, [
      { path: '/proxy_url', message: 'must be an absolute http:// or https:// URL (P17: file:, data:, ws: and other schemes are refused)' },
      { path: '/auth_patterns/0/fields/0/input_type', message: 'must be one of: text, password' },
      { path: '/auth_patterns/0/auth_field_mutations/password', message: 'is not a credential field of a BEARER pattern; mutations apply to: token' },
      { path: '/auth_patterns/0/auth_header_key_override', message: 'cannot be Host: the proxy removes or recomputes this header (P5, RFC 9110 §7.6.1)' },
    ]);
  });

  test('refuses a value that is not an object', () => {
    assert.deepEqual(problemsOf('nope'), [{ path: '', message: 'must be a JSON object' }]);
    assert.deepEqual(problemsOf([]), [{ path: '', message: 'must be a JSON object' }]);
  });

  test('refuses a __proto__ key anywhere instead of letting it reach a prototype', () => {
    const input = JSON.parse(
      '{"display_name":"x","proxy_url":"https://a.example","__proto__":{"p":1},' +
        '"auth_patterns":[{"type":"API_KEY","fields":[{"field_name":"api_key"}],"auth_field_mutations":{"__proto__":{"prefix":"a"}}}]}',
    ) as unknown;
    assert.deepEqual(problemsOf(input), [
      { path: '/__proto__', message: 'is not allowed' },
      { path: '/auth_patterns/0/auth_field_mutations/__proto__', message: 'is not allowed' },
    ]);
  });

  test('reports a missing required property once', () => {
    const problems = problemsOf({ auth_patterns: klaviyo().auth_patterns, proxy_url: 'https://a.example' });
    assert.deepEqual(problems, [{ path: '/display_name', message: 'is required' }]);
  });

  test('refuses unknown properties at every level', () => {
    const problems = problemsOf(apiKey({ auth_header_key_overide: 'x-api-key' }, { proxyUrl: 'x' }));
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ['/proxyUrl', 'is not a known property'],
      ['/auth_patterns/0/auth_header_key_overide', 'is not a known property'],
    ]);
  });

  test('refuses anything but exactly one auth pattern, and says so', () => {
    const none = only({ ...klaviyo(), auth_patterns: [] });
    assert.equal(none.path, '/auth_patterns');
    assert.match(none.message, /exactly one auth pattern/);
    const two = only({ ...klaviyo(), auth_patterns: [...klaviyo().auth_patterns, ...klaviyo().auth_patterns] });
    assert.match(two.message, /exactly one auth pattern \(only one is supported today\)/);
  });

  test('checks the type first, so an unknown type gives one precise problem', () => {
    assert.deepEqual(only(apiKey({ type: 'api_key' })), {
      path: '/auth_patterns/0/type',
      message: 'must be one of: API_KEY, BASIC, BEARER, OAUTH (types are upper case: API_KEY)',
    });
    assert.deepEqual(only(apiKey({ type: 'DIGEST' })).message, 'must be one of: API_KEY, BASIC, BEARER, OAUTH');
    const missing = apiKey();
    delete (missing.auth_patterns[0] as Record<string, unknown>)['type'];
    assert.equal(only(missing).message, 'is required (one of: API_KEY, BASIC, BEARER, OAUTH)');
  });
});

describe('proxy_url', () => {
  for (const url of ['file:///etc/passwd', 'data:text/plain,hi', 'ws://api.acme.example', 'javascript:alert(1)', 'ftp://a.example', '//a.example', 'api.acme.example']) {
    test(`refuses ${url} (P17)`, () => {
      const problem = only(apiKey({}, { proxy_url: url }));
      assert.equal(problem.path, '/proxy_url');
      assert.match(problem.message, /http:\/\/ or https:\/\//);
    });
  }

  test('accepts http and https', () => {
    assert.ok(validateDefinition(apiKey({}, { proxy_url: 'http://127.0.0.1:8080/api' })).ok);
    assert.ok(validateDefinition(apiKey({}, { proxy_url: 'https://api.acme.example' })).ok);
  });

  test('refuses credentials, a fragment, a query or whitespace in the URL', () => {
    assert.match(only(apiKey({}, { proxy_url: 'https://user:pw@api.acme.example' })).message, /user:password@/);
    assert.match(only(apiKey({}, { proxy_url: 'https://api.acme.example/#x' })).message, /#fragment/);
    assert.match(only(apiKey({}, { proxy_url: 'https://api.acme.example/?v=1' })).message, /\?query/);
    assert.match(only(apiKey({}, { proxy_url: 'https://api.acme.example/a b' })).message, /spaces/);
  });

  test('refuses a template that names no field', () => {
    assert.deepEqual(only(apiKey({}, { proxy_url: 'https://{{tenant}}.acme.example' })), {
      path: '/proxy_url',
      message: '{{tenant}} names no field of auth_patterns/0; declare it in fields with input_type "text"',
    });
  });

  test('refuses a template that names a password field', () => {
    const input = apiKey({}, { proxy_url: 'https://{{tenant}}.acme.example' });
    input.auth_patterns[0]!.fields.push({ field_name: 'tenant', label: 'Tenant', input_type: 'password', required: true });
    assert.match(only(input).message, /\{\{tenant\}\} uses a password field; template values are not secret/);
  });

  test('refuses a template that would put the credential in the URL', () => {
    const input = apiKey({}, { proxy_url: 'https://api.acme.example/{{api_key}}' });
    input.auth_patterns[0]!.fields[0]!.input_type = 'text';
    assert.match(only(input).message, /would put the credential into the URL/);
  });

  test('accepts OAUTH templates that name account_fields', () => {
    const input = asana() as Record<string, unknown> & ReturnType<typeof asana>;
    input.proxy_url = 'https://{{workspace}}.asana.example/api';
    Object.assign(input.auth_patterns[0]!, { account_fields: [{ field_name: 'workspace', label: 'Workspace', input_type: 'text', required: true }] });
    assert.ok(validateDefinition(input).ok);
    Object.assign(input.auth_patterns[0]!, { account_fields: [] });
    assert.match(only(input).message, /declare it in account_fields/);
  });

  test('refuses a malformed template', () => {
    assert.match(only(apiKey({}, { proxy_url: 'https://{{tenant.acme.example' })).message, /malformed template/);
  });
});

describe('auth patterns', () => {
  test('requires the scheme field of each type', () => {
    assert.deepEqual(only(apiKey({ fields: [] })), {
      path: '/auth_patterns/0/fields',
      message: 'API_KEY patterns need a field named api_key (the key the end user enters)',
    });
    const bearer = { ...pythonSdkBearer(), auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'key' }] }] };
    assert.match(only(bearer).message, /BEARER patterns need a field named token/);
    const basic = freshdesk();
    basic.auth_patterns[0]!.auth_field_mutations = {} as never;
    assert.match(only(basic).message, /BASIC patterns need a field named password \(or give auth_field_mutations.password.default/);
  });

  test('accepts bearer_token as the BEARER field, as the reference Python SDK names it', () => {
    const input = pythonSdkBearer();
    input.auth_patterns[0]!.fields[0]!.field_name = 'bearer_token';
    assert.ok(validateDefinition(input).ok);
  });

  test('refuses bad, duplicate and reserved field names', () => {
    const input = apiKey({
      fields: [
        { field_name: 'api_key', input_type: 'password' },
        { field_name: '9lives' },
        { field_name: 'api_key' },
        { field_name: 'constructor' },
      ],
    });
    assert.deepEqual(problemsOf(input), [
      { path: '/auth_patterns/0/fields/1/field_name', message: 'must start with a-z or _, then only a-z, 0-9 and _ (at most 64 characters)' },
      { path: '/auth_patterns/0/fields/2/field_name', message: 'repeats the field name api_key; field names must be unique' },
      { path: '/auth_patterns/0/fields/3/field_name', message: 'constructor is a reserved name' },
    ]);
  });

  test('refuses mutations with CR/LF or on non-credential fields, and a ":" in a Basic user-id', () => {
    const problems = problemsOf(
      apiKey({ auth_field_mutations: { api_key: { prefix: 'Key\r\nX-Evil: 1' }, domain: { default: 'x' } } }),
    );
    assert.deepEqual(problems.map((p) => p.path), ['/auth_patterns/0/auth_field_mutations/api_key/prefix', '/auth_patterns/0/auth_field_mutations/domain']);
    const zd = zendesk();
    zd.auth_patterns[0]!.auth_field_mutations = { username: { suffix: ':token' } };
    assert.deepEqual(only(zd), { path: '/auth_patterns/0/auth_field_mutations/username/suffix', message: 'must not contain ":" (RFC 7617 §2)' });
  });

  for (const header of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Cookie', 'X-Forwarded-For', 'proxy-authorization']) {
    test(`refuses ${header} as auth_header_key_override`, () => {
      const problem = only(apiKey({ auth_header_key_override: header }));
      assert.equal(problem.path, '/auth_patterns/0/auth_header_key_override');
      assert.match(problem.message, /the proxy removes or recomputes this header/);
    });
  }

  test('refuses a header override that is not an RFC 9110 token', () => {
    assert.match(only(apiKey({ auth_header_key_override: 'X Api Key' })).message, /RFC 9110 token/);
    assert.match(only(apiKey({ auth_header_key_override: 'X-Key\r\nX-Evil' })).message, /RFC 9110 token/);
  });

  test('accepts the query parameter placement (ext) but not together with a header override', () => {
    assert.ok(validateDefinition(apiKey({ auth_query_param: 'api_key' })).ok);
    assert.deepEqual(only(apiKey({ auth_query_param: 'api_key', auth_header_key_override: 'x-api-key' })), {
      path: '/auth_patterns/0/auth_query_param',
      message: 'set either auth_query_param or auth_header_key_override, not both',
    });
    assert.equal(only(apiKey({ auth_query_param: 'a&b=' })).path, '/auth_patterns/0/auth_query_param');
    const bearer = { ...pythonSdkBearer() };
    Object.assign(bearer.auth_patterns[0]!, { auth_query_param: 'token' });
    assert.deepEqual(only(bearer), { path: '/auth_patterns/0/auth_query_param', message: 'is not a known property' });
  });

  test('checks static headers (ext): names, CR/LF, the credential header, case duplicates', () => {
    const problems = problemsOf(
      apiKey({
        auth_header_key_override: 'X-Api-Key',
        static_headers: { Accept: 'application/json', 'x-api-key': 'spoof', Host: 'evil', 'X-A': 'a\r\nb', 'x-a': 'c', 'Bad Name': 'v' },
      }),
    );
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ['/auth_patterns/0/static_headers/X-A', 'must be printable ASCII (no CR, LF or other control characters), at most 1024 characters'],
      ['/auth_patterns/0/static_headers/x-api-key', 'would override the credential header x-api-key'],
      ['/auth_patterns/0/static_headers/Host', 'cannot be Host: the proxy removes or recomputes this header (P5, RFC 9110 §7.6.1)'],
      ['/auth_patterns/0/static_headers/x-a', 'repeats the header x-a (header names are case-insensitive)'],
      ['/auth_patterns/0/static_headers/Bad Name', 'must be a header name (RFC 9110 token)'],
    ]);
  });

  test('checks the verify call (ext)', () => {
    assert.ok(validateDefinition(apiKey({ verify: { method: 'GET', path: '/me', expect_status: [200, 204] } })).ok);
    const problems = problemsOf(apiKey({ verify: { method: 'DELETE', path: '/../admin', expect_status: [99] } }));
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ['/auth_patterns/0/verify/method', 'must be one of: GET, HEAD, POST'],
      ['/auth_patterns/0/verify/expect_status/0', 'must be at least 100'],
      ['/auth_patterns/0/verify/path', 'must not contain . or .. segments (P1)'],
    ]);
    assert.match(only(apiKey({ verify: { method: 'GET', path: '//evil.example/x' } })).message, /must not start with \/\//);
    assert.match(only(apiKey({ verify: { method: 'GET', path: 'me' } })).message, /must start with \//);
  });

  test('OAUTH: fields must be empty, oauth_config is required, its URLs take no templates', () => {
    const withFields = asana();
    withFields.auth_patterns[0]!.fields = [{ field_name: 'x' }] as never;
    assert.match(only(withFields).message, /must be empty for OAUTH .* use account_fields/);

    const noConfig = asana() as { auth_patterns: Record<string, unknown>[] };
    delete noConfig.auth_patterns[0]!['oauth_config'];
    assert.deepEqual(only(noConfig), { path: '/auth_patterns/0/oauth_config', message: 'is required' });

    const templated = asana();
    templated.auth_patterns[0]!.oauth_config.token_uri = 'https://{{domain}}/oauth/token';
    assert.deepEqual(only(templated), {
      path: '/auth_patterns/0/oauth_config/token_uri',
      message: 'cannot contain {{templates}}: only proxy_url can',
    });

    const badScheme = asana();
    badScheme.auth_patterns[0]!.oauth_config.authorize_uri = 'javascript:alert(1)';
    assert.equal(only(badScheme).path, '/auth_patterns/0/oauth_config/authorize_uri');
  });

  test('OAUTH: refuses a repeated scope or a scope with spaces', () => {
    const input = asana();
    input.auth_patterns[0]!.oauth_config.available_scopes.push({ scope: 'profile', display_name: 'Again', description: '', required: false });
    input.auth_patterns[0]!.oauth_config.available_scopes.push({ scope: 'a b', display_name: '', description: '', required: false });
    assert.deepEqual(problemsOf(input).map((p) => p.path), [
      '/auth_patterns/0/oauth_config/available_scopes/2/scope',
      '/auth_patterns/0/oauth_config/available_scopes/1/scope',
    ]);
  });
});

describe('assertValidDefinition', () => {
  test('returns the defaulted definition', () => {
    assert.equal(assertValidDefinition(freshdesk()).proxy_enabled, true);
  });

  test('throws CONNECTOR_INVALID with every problem in details', () => {
    assert.throws(
      () => assertValidDefinition({ display_name: 'x', proxy_url: 'file:///etc/passwd', auth_patterns: [] }),
      (error: unknown) => {
        assert.ok(isToolproxyError(error));
        assert.equal(error.code, 'CONNECTOR_INVALID');
        assert.equal(error.statusCode, 422);
        assert.deepEqual((error.details as { problems: Problem[] }).problems.map((p) => p.path), ['/proxy_url', '/auth_patterns']);
        return true;
      },
    );
  });
});
