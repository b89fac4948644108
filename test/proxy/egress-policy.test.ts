import assert from 'node:assert/strict';
import type dns from 'node:dns';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { isToolproxyError, ToolproxyError } from '../../src/errors.ts';
import { EgressPolicy, type ResolvedAddress, type Resolver } from '../../src/proxy/egress-policy.ts';
import { Forwarder } from '../../src/proxy/forwarder.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** Security checklist P8–P11: only public unicast addresses, after DNS and for IP literals. */

const denied = {
  unspecified: ['0.0.0.0', '::'],
  loopback: ['127.0.0.1', '127.1.2.3', '::1'],
  private: ['10.0.0.1', '172.16.5.4', '192.168.1.1'],
  linkLocal: ['169.254.169.254', 'fe80::1'],
  carrierGradeNat: ['100.64.0.1'],
  reserved: ['240.0.0.1', '192.0.2.1', '198.51.100.7', '203.0.113.9'],
  benchmarking: ['198.18.0.1'],
  multicast: ['224.0.0.1', 'ff02::1'],
  broadcast: ['255.255.255.255'],
  uniqueLocal: ['fd00::1', 'fc00::1'],
  ipv4Mapped: ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1'],
  rfc6052: ['64:ff9b::7f00:1'],
  '6to4': ['2002:7f00:1::1'],
  teredo: ['2001::1'],
};
const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

describe('EgressPolicy.allowsAddress (P8)', () => {
  const policy = new EgressPolicy({ allowCidrs: [] });

  for (const [range, addresses] of Object.entries(denied)) {
    test(`refuses ${range} addresses: ${addresses.join(', ')}`, () => {
      for (const address of addresses) assert.equal(policy.allowsAddress(address), false, address);
    });
  }

  test(`allows public unicast: ${allowed.join(', ')}`, () => {
    for (const address of allowed) assert.equal(policy.allowsAddress(address), true, address);
  });

  test('refuses what is not an address at all', () => {
    for (const value of ['', 'localhost', 'example.com', '1.2.3', '::g']) assert.equal(policy.allowsAddress(value), false, value);
  });

  test('property: without an allow-list, exactly the unicast range passes, IPv4 and IPv6', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        assert.equal(policy.allowsAddress(address), ipaddr.process(address).range() === 'unicast');
      }),
      { numRuns: 5000 },
    );
  });

  test('P10: an allow-listed CIDR opens that range and nothing else', () => {
    const onPrem = new EgressPolicy({ allowCidrs: ['10.1.0.0/16', '127.0.0.0/8', 'fd12::/16'] });
    for (const address of ['10.1.2.3', '127.0.0.1', '::ffff:127.0.0.1', 'fd12::5']) assert.equal(onPrem.allowsAddress(address), true, address);
    for (const address of ['10.2.0.1', '169.254.169.254', '::1', 'fd13::5', '192.168.0.1']) assert.equal(onPrem.allowsAddress(address), false, address);
  });
});

describe('EgressPolicy.checkOrigin (P9: IP literals, for which undici never calls lookup)', () => {
  const policy = new EgressPolicy({ allowCidrs: [] });
  const forbidden = (origin: string) => {
    try {
      policy.checkOrigin(new URL(origin).origin);
    } catch (error) {
      assert.ok(isToolproxyError(error));
      assert.equal(error.code, 'UPSTREAM_ADDRESS_FORBIDDEN');
      assert.equal(error.statusCode, 403);
      return true;
    }
    return false;
  };

  // The WHATWG parser canonicalises these before we look (security checklist §5.1).
  for (const origin of [
    'http://127.0.0.1', 'http://0.0.0.0', 'http://[::]', 'http://[::1]', 'http://[::ffff:7f00:1]', 'http://[::ffff:127.0.0.1]',
    'http://127.1', 'http://0x7f.1', 'http://2130706433', 'http://0177.0.0.1', 'http://169.254.169.254', 'http://10.0.0.1:8080', 'https://[fd00::1]',
  ]) {
    test(`refuses ${origin}`, () => assert.equal(forbidden(origin), true));
  }

  test('lets names through to the connect-time check, and public literals pass', () => {
    for (const origin of ['https://api.example.com', 'http://localhost:3000', 'http://localhost.', 'https://8.8.8.8', 'https://[2606:4700:4700::1111]']) {
      assert.equal(forbidden(origin), false, origin);
    }
  });

  test('the error names neither the host nor any address (P20)', () => {
    try {
      policy.checkOrigin('http://169.254.169.254');
      assert.fail('expected a refusal');
    } catch (error) {
      const body = JSON.stringify((error as ToolproxyError).toBody());
      assert.doesNotMatch(body, /169\.254|127\.0|::1/);
      assert.match(body, /TOOLPROXY_EGRESS_ALLOW_CIDRS/);
    }
  });
});

describe('EgressPolicy.lookup (P8: every resolved address is checked)', () => {
  const lookup = (policy: EgressPolicy, hostname: string, options: dns.LookupOptions) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
      policy.lookup(hostname, options, (error, address, family) => resolve({ error, address, family }));
    });
  const fixed = (addresses: ResolvedAddress[]): Resolver => async () => addresses;

  test('answers a single address or all of them, as net.connect asks (autoSelectFamily uses all)', async () => {
    const policy = new EgressPolicy({ allowCidrs: [], resolve: fixed([{ address: '8.8.8.8', family: 4 }, { address: '2001:4860:4860::8888', family: 6 }]) });
    assert.deepEqual(await lookup(policy, 'dns.example', { all: true }), {
      error: null,
      address: [{ address: '8.8.8.8', family: 4 }, { address: '2001:4860:4860::8888', family: 6 }],
      family: undefined,
    });
    assert.deepEqual(await lookup(policy, 'dns.example', {}), { error: null, address: '8.8.8.8', family: 4 });
  });

  test('refuses a name when any one of its addresses is private (DNS rebinding: [public, 127.0.0.1])', async () => {
    const policy = new EgressPolicy({ allowCidrs: [], resolve: fixed([{ address: '8.8.8.8', family: 4 }, { address: '127.0.0.1', family: 4 }]) });
    for (const options of [{ all: true }, {}]) {
      const { error } = await lookup(policy, 'rebind.example', options);
      assert.ok(isToolproxyError(error));
      assert.equal(error.code, 'UPSTREAM_ADDRESS_FORBIDDEN');
    }
  });

  test('passes the family hint on and reports an empty answer as ENOTFOUND', async () => {
    const asked: number[] = [];
    const policy = new EgressPolicy({ allowCidrs: [], resolve: async (_host, family) => (asked.push(family), []) });
    const { error } = await lookup(policy, 'nothing.example', { family: 6 });
    assert.equal(error?.code, 'ENOTFOUND');
    assert.deepEqual(asked, [6]);
  });

  test('localhost resolved by the system is refused', async () => {
    const { error } = await lookup(new EgressPolicy({ allowCidrs: [] }), 'localhost', { all: true });
    assert.ok(isToolproxyError(error));
  });
});

describe('the Forwarder connects only where the policy allows (real undici, loopback upstream)', () => {
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.close());

  const forwarder = (resolve: Resolver, allowCidrs: string[] = []) =>
    new Forwarder({ connectTimeoutMs: 2_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, egress: new EgressPolicy({ allowCidrs, resolve }) });
  const send = (f: Forwarder, host: string) => f.send({ origin: `http://${host}:${upstream.port}`, path: '/v1/me', method: 'GET', headers: {}, body: null });

  test('a name resolving to [public, 127.0.0.1], then to 127.0.0.1 alone (rebinding), is refused both times; upstream sees nothing', async () => {
    const answers: ResolvedAddress[][] = [
      [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }],
      [{ address: '127.0.0.1', family: 4 }],
    ];
    const f = forwarder(async () => answers.shift() ?? []);
    const before = upstream.received.length;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(send(f, 'rebind.test'), (error: unknown) => isToolproxyError(error) && error.code === 'UPSTREAM_ADDRESS_FORBIDDEN');
    }
    assert.equal(upstream.received.length, before);
    await f.close();
  });

  test('an IP literal is refused before any connection; allow-listed, the same upstream answers (P10)', async () => {
    const denying = forwarder(async () => []);
    await assert.rejects(send(denying, '127.0.0.1'), (error: unknown) => isToolproxyError(error) && error.code === 'UPSTREAM_ADDRESS_FORBIDDEN');
    await denying.close();
    const allowing = forwarder(async () => [], ['127.0.0.0/8']);
    const response = await send(allowing, '127.0.0.1');
    assert.equal(response.statusCode, 200);
    await response.body.dump();
    await allowing.close();
  });

  test('connects to exactly the address the policy checked (no second lookup)', async () => {
    let lookups = 0;
    const f = forwarder(async () => (lookups++, [{ address: '127.0.0.1', family: 4 }]), ['127.0.0.0/8']);
    const response = await send(f, 'pinned.test');
    assert.equal(response.statusCode, 200);
    assert.equal(upstream.received.at(-1)?.headers.host, `pinned.test:${upstream.port}`);
    await response.body.dump();
    assert.equal(lookups, 1);
    await f.close();
  });

  test('a resolver that never answers ends as UPSTREAM_CONNECT_TIMEOUT (the connect timeout covers DNS)', async () => {
    const f = new Forwarder({ connectTimeoutMs: 200, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, egress: new EgressPolicy({ allowCidrs: [], resolve: () => new Promise(() => undefined) }) });
    await assert.rejects(send(f, 'slow-dns.test'), (error: unknown) => isToolproxyError(error) && error.code === 'UPSTREAM_CONNECT_TIMEOUT');
    await f.close();
  });
});

describe('TOOLPROXY_EGRESS_ALLOW_CIDRS is parsed strictly (P11)', () => {
  test('a bad entry stops the start and names the variable', () => {
    for (const value of ['10.0.0.0/33', 'not-a-cidr', '10.0.0.1', '127.0.0.0/8,,fd00::/129']) {
      assert.throws(() => loadConfig({ TOOLPROXY_EGRESS_ALLOW_CIDRS: value }), (error: unknown) => error instanceof ConfigError && /TOOLPROXY_EGRESS_ALLOW_CIDRS/.test(error.message), value);
    }
  });

  test('a good list is kept, trimmed; unset means public addresses only', () => {
    assert.deepEqual(loadConfig({ TOOLPROXY_EGRESS_ALLOW_CIDRS: ' 10.0.0.0/8 , fd00::/8 ' }).egressAllowCidrs, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(loadConfig({}).egressAllowCidrs, []);
  });
});
