import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import {
  HOST_LABEL_PATTERN,
  HOSTNAME_PATTERN,
  PATH_VALUE_PATTERN,
  renderProblems,
  renderProxyUrl,
  templateFields,
  validateTemplateValue,
} from '../../src/connectors/template.ts';

const SUB = 'https://{{sub}}.acme.example/api';
// Checklist §5.1: each of these gives host evil.example (or 169.254.169.254) with naive rendering.
const MALICIOUS_SUBDOMAINS = [
  'evil.example/', 'evil.example#', 'evil.example?', 'u:p@evil.example:443/x?', 'evil.example\\',
  '169.254.169.254/latest/meta-data#', 'evil.example', 'a.b', 'evil.example%23', 'evil.example:8443', '[::1]',
  ' evil', 'evil\n', 'EVIL', '-evil', 'evil-', 'a'.repeat(64), 'x\u2024example', 'xn--\u00e9', '..', '.', '@',
];

function templateError(fn: () => unknown): { field?: string; problem?: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error), String(error));
    assert.equal(error.code, 'CONNECTOR_TEMPLATE_ERROR');
    return error.details as { field?: string; problem?: string };
  }
  assert.fail('expected CONNECTOR_TEMPLATE_ERROR');
}

function connectorInvalid(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error), String(error));
    assert.equal(error.code, 'CONNECTOR_INVALID');
    const [problem] = error.details as { path: string; message: string }[];
    assert.equal(problem!.path, '/proxy_url');
    return problem!.message;
  }
  assert.fail('expected CONNECTOR_INVALID');
}

describe('templateFields', () => {
  test('lists each field once, in order, allowing whitespace inside the braces', () => {
    assert.deepEqual(templateFields('https://{{ sub }}.acme.example/{{org_id}}/x/{{sub}}/{{_v2}}'), ['sub', 'org_id', '_v2']);
  });

  test('a template-free URL has no fields', () => {
    assert.deepEqual(templateFields('https://api.acme.example/api'), []);
  });

  for (const [url, why] of [
    ['https://{{Sub}}.acme.example', /field names/],
    ['https://{{fields.sub}}.acme.example', /field names/],
    ['https://{{1sub}}.acme.example', /field names/],
    ['https://{{}}.acme.example', /field names/],
    ['https://{{sub}.acme.example', /stray brace/],
    ['https://{sub}.acme.example', /stray brace/],
    ['https://api.acme.example:{{port}}/', /port/],
    ['https://api.acme.example/x?key={{key}}', /query/],
    ['{{scheme}}://api.acme.example', /http\(s\)/],
    ['https://{{user}}@api.acme.example', /user info/],
    ['https://api.acme.example/#{{x}}', /fragment/],
    ['https://api.acme.example\\{{x}}', /backslash/],
    ['ftp://{{sub}}.acme.example', /http\(s\)/],
    ['file:///etc/passwd', /http\(s\)/],
    ['https://api.acme.example/a b', /whitespace/],
    ['https://api.acme.example/../{{x}}', /dot segment/],
    ['https://[{{v6}}]/', /not a valid URL/],
    ['https://{{a}}.1.2.3/', /not a valid URL/],
    ['https://127.1/', /canonical/],
    ['https://m\u00fcnchen.example/', /canonical/],
  ] as const) {
    test(`refuses the template ${JSON.stringify(url)}`, () => {
      assert.match(connectorInvalid(() => templateFields(url)), why);
    });
  }
});

describe('renderProxyUrl (P3, P4)', () => {
  test('renders a host label and path values', () => {
    assert.equal(renderProxyUrl(SUB, { sub: 'tenant-1' }), 'https://tenant-1.acme.example/api');
    assert.equal(
      renderProxyUrl('https://api-{{region}}.acme.example:8443/v1/{{org}}/x', { region: 'eu', org: 'Org_1.a~b-c' }),
      'https://api-eu.acme.example:8443/v1/Org_1.a~b-c/x',
    );
    assert.equal(renderProxyUrl('http://{{a}}.{{b}}.acme.example', { a: 'x', b: 'y' }), 'http://x.y.acme.example');
  });

  test('a template-free URL renders to itself', () => {
    for (const url of ['https://api.acme.example/api', 'https://api.acme.example', 'http://127.0.0.1:8080/x/', 'https://a.example/x?fixed=1']) {
      assert.equal(renderProxyUrl(url, {}), url);
    }
  });

  test('ignores values the template does not use', () => {
    assert.equal(renderProxyUrl(SUB, { sub: 'a', other: 'evil.example#' }), 'https://a.acme.example/api');
  });

  for (const value of MALICIOUS_SUBDOMAINS) {
    test(`refuses subdomain ${JSON.stringify(value)} (checklist §5.1)`, () => {
      const details = templateError(() => renderProxyUrl(SUB, { sub: value }));
      assert.equal(details.field, 'sub');
      assert.ok(!JSON.stringify(details).includes('evil'), 'the value is not echoed');
    });
  }

  for (const [label, values] of [
    ['missing', {}], ['undefined', { sub: undefined }], ['empty', { sub: '' }], ['null', { sub: null }], ['a number', { sub: 1 }],
    ['inherited from Object.prototype', Object.create({ sub: 'inherited' })],
  ] as const) {
    test(`P4: fails closed when the value is ${label}, and never renders "undefined"`, () => {
      assert.equal(templateError(() => renderProxyUrl(SUB, values as Record<string, string | undefined>)).field, 'sub');
    });
  }

  test('fails closed on a field named like an Object.prototype property', () => {
    assert.equal(templateError(() => renderProxyUrl('https://{{__proto__}}.acme.example', {})).field, '__proto__');
    assert.equal(templateError(() => renderProxyUrl('https://{{constructor}}.acme.example', {})).field, 'constructor');
  });

  for (const value of ['.', '..', 'a/b', 'a?b', 'a#b', 'a%2fb', 'a b', 'a\\b', '%2e%2e', 'a@b', 'x'.repeat(129), '{{sub}}']) {
    test(`refuses path value ${JSON.stringify(value)}`, () => {
      assert.equal(templateError(() => renderProxyUrl('https://api.acme.example/r/{{id}}', { id: value })).field, 'id');
    });
  }

  test('refuses a bad template with CONNECTOR_TEMPLATE_ERROR at render time', () => {
    assert.match(templateError(() => renderProxyUrl('https://api.acme.example:{{port}}', { port: '1' })).problem!, /port/);
    assert.ok(templateError(() => renderProxyUrl('file:///etc/passwd', {})).problem);
  });

  test('a host that is only a placeholder takes a whole host name, never an IP literal', () => {
    assert.equal(renderProxyUrl('https://{{domain}}/api', { domain: 'intranet' }), 'https://intranet/api');
    // The reference's Freshdesk definition: https://{{domain}}/api with domain = acme.freshdesk.com.
    assert.equal(renderProxyUrl('https://{{domain}}/api', { domain: 'acme.freshdesk.com' }), 'https://acme.freshdesk.com/api');
    // Numeric last labels would become IPv4 literals (2130706433 = 127.0.0.1).
    for (const domain of ['2130706433', '0x7f000001', '0', '127.0.0.1', '127.1', 'a..b', '.acme.example', 'acme.example.', 'Acme.example', 'evil.example#', '[::1]']) {
      templateError(() => renderProxyUrl('https://{{domain}}/api', { domain }));
    }
  });

  test('the post-render check refuses values that are valid labels but change the parsed host', () => {
    // Each value is a DNS label, but WHATWG reads `127.1` as the IPv4 address 127.0.0.1 (4 labels).
    assert.match(templateError(() => renderProxyUrl('https://{{a}}.{{b}}/x', { a: '127', b: '1' })).problem!, /host/);
    assert.match(templateError(() => renderProxyUrl('https://{{a}}.{{b}}/x', { a: '0x7f', b: '1' })).problem!, /host/);
    assert.equal(renderProxyUrl('https://{{a}}.{{b}}/x', { a: 'acme', b: 'example' }), 'https://acme.example/x');
  });
});

describe('validateTemplateValue (P3)', () => {
  test('without a template, checks the strictest placement (one DNS label)', () => {
    assert.equal(validateTemplateValue('sub', 'tenant-1'), null);
    assert.match(validateTemplateValue('sub', 'Tenant')!, /DNS label/);
    assert.match(validateTemplateValue('sub', 'a_b')!, /DNS label/);
  });

  test('with a template, checks each place the field is used', () => {
    const url = 'https://api.acme.example/v1/{{org}}/{{sub}}';
    assert.equal(validateTemplateValue('org', 'Org_1.x', url), null);
    assert.match(validateTemplateValue('org', '..', url)!, /not '\.' or '\.\.'/);
    assert.match(validateTemplateValue('sub', 'Org_1', 'https://{{sub}}.acme.example/{{sub}}')!, /DNS label/);
    assert.equal(validateTemplateValue('unused', 'evil.example#', url), null);
  });

  for (const value of MALICIOUS_SUBDOMAINS) {
    test(`reports a problem for subdomain ${JSON.stringify(value)}`, () => {
      assert.notEqual(validateTemplateValue('sub', value, SUB), null);
    });
  }

  for (const value of [undefined, null, '', 0, {}, ['a']]) {
    test(`reports ${JSON.stringify(value) ?? 'undefined'} as missing or not a string`, () => {
      assert.match(validateTemplateValue('sub', value)!, /^sub (is required|must be a string)$/);
    });
  }

  test('HOST_LABEL_PATTERN is one lower-case DNS label', () => {
    for (const ok of ['a', '0', 'a-b', 'xn--mnchen-3ya', 'a'.repeat(63)]) assert.match(ok, HOST_LABEL_PATTERN);
    for (const bad of ['', 'A', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64), 'a\n']) assert.doesNotMatch(bad, HOST_LABEL_PATTERN);
    assert.match('a~b.c_d-e', PATH_VALUE_PATTERN);
  });
});

describe('IP spellings in a whole-host field (the probe: 0x7f000001 read as 127.0.0.1)', () => {
  const DOMAIN = 'https://{{domain}}/api';
  // Every one of these is an IPv4 (or IPv6) address to the WHATWG URL parser, or not a host at all.
  const SPELLINGS = [
    '0x7f000001', '0x7f.1', '1.0x7f', '0x', 'acme.0x1f', '127.1', '2130706433', '0177.0.0.1', '127.0.0.1', '017700000001',
    '0X7F000001', '[::ffff:127.0.0.1]', '::ffff:7f00:1', '[::1]', '::1', '1.2.3.0x4',
  ];

  test('every IP spelling is refused by the value check or by the submit-time render, never accepted to fail later', () => {
    for (const value of SPELLINGS) {
      const refusedByPattern = validateTemplateValue('domain', value, DOMAIN) !== null;
      const refusedByRender = renderProblems(DOMAIN, { domain: value }).length > 0;
      assert.ok(refusedByPattern || refusedByRender, value);
    }
    for (const value of ['0x7f000001', '0x7f.1', '1.0x7f', '0x', '1.2.3.0x4']) {
      assert.notEqual(validateTemplateValue('domain', value, DOMAIN), null, `${value} fails the host name pattern itself`);
    }
  });

  test('an A-label that is not valid punycode is refused at submit exactly when this Node\'s URL parser refuses it, and is never an address', () => {
    // Node 20's parser refuses `xn--0x1` (invalid punycode); Node 22 and later keep it as a name.
    let parsedHost: string | null;
    try {
      parsedHost = new URL('https://xn--0x1/api').hostname;
    } catch {
      parsedHost = null;
    }
    const problems = renderProblems(DOMAIN, { domain: 'xn--0x1' }).map((p) => p.path);
    if (parsedHost === null) assert.deepEqual(problems, ['/domain']);
    else {
      assert.deepEqual(problems, []);
      assert.equal(parsedHost, 'xn--0x1', 'kept as the name it is, not read as an IPv4 address');
    }
  });

  test('host names that only look numeric still pass', () => {
    for (const value of ['0x1.example', 'a.0xgg', '0xdead-beef.example.com', 'api.example.com', '1password.com', 'x0.io']) {
      assert.equal(validateTemplateValue('domain', value, DOMAIN), null, value);
      assert.deepEqual(renderProblems(DOMAIN, { domain: value }), [], value);
    }
  });
});

describe('renderProxyUrl properties (P3)', () => {
  const templates = [
    { url: 'https://{{sub}}.acme.example/api', suffix: '.acme.example', protocol: 'https:', port: '', labels: 3 },
    { url: 'http://api-{{region}}.acme.example:8080/{{org}}', suffix: '.acme.example', protocol: 'http:', port: '8080', labels: 3 },
    { url: 'https://{{domain}}/api', suffix: '', protocol: 'https:', port: '', labels: 0 },
    { url: 'https://api.acme.example:8443/r/{{sub}}', suffix: 'api.acme.example', protocol: 'https:', port: '8443', labels: 3 },
  ];
  const hostile = fc.oneof(
    fc.constantFrom(...MALICIOUS_SUBDOMAINS),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.array(fc.constantFrom('evil', '.', '/', '#', '?', '@', ':', '\\', '%2e', '%23', '443', 'example', '[', ']', '-', '1', '\t'), { maxLength: 12 })
      .map((p) => p.join('')),
  );

  test('any value either throws or keeps scheme, port, host suffix and label count', () => {
    fc.assert(fc.property(fc.constantFrom(...templates), hostile, (t, value) => {
      let rendered: string;
      try {
        rendered = renderProxyUrl(t.url, { sub: value, region: value, org: value, domain: value });
      } catch (error) {
        return isToolproxyError(error) && error.code === 'CONNECTOR_TEMPLATE_ERROR';
      }
      const url = new URL(rendered);
      assert.equal(url.protocol, t.protocol);
      assert.equal(url.port, t.port);
      assert.ok(url.hostname.endsWith(t.suffix));
      // labels 0: the whole host is the value (a host name, never an IP literal).
      if (t.labels === 0) assert.ok(url.hostname === value && HOSTNAME_PATTERN.test(value) && !/^[\d.]+$/.test(value));
      else assert.equal(url.hostname.split('.').length, t.labels);
      assert.equal(url.username + url.password + url.hash + url.search, '');
      return true;
    }), { numRuns: 5000 });
  });

  test('every valid host label renders', () => {
    // IDNA: `xn--` labels must be valid punycode or the URL does not parse (and render refuses it).
    const label = fc.stringMatching(HOST_LABEL_PATTERN).filter((l) => !/^..--/.test(l));
    fc.assert(fc.property(label, (value) => {
      assert.equal(renderProxyUrl(SUB, { sub: value }), `https://${value}.acme.example/api`);
    }), { numRuns: 1000 });
  });
});
