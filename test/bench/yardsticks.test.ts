import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkForwarding } from '../../bench/lib/forwarding-check.ts';
import { CANDIDATES, YARDSTICK } from '../../bench/servers/forwarding/candidates.ts';
import { upstreamHandler } from '../../bench/servers/upstream-handler.ts';

/**
 * The bench's yardstick candidates (bench/servers/forwarding/) stay correct forwarding proxies:
 * a yardstick that skips work a proxy must do would make every ratio against it flattering.
 */

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let upstream: http.Server;
let upstreamUrl: string;
before(async () => {
  upstream = http.createServer(upstreamHandler);
  upstreamUrl = await listen(upstream);
});
after(() => upstream.close());

describe('yardstick candidates', () => {
  test(`the yardstick (${YARDSTICK}) is one of the candidates`, () => {
    assert.ok(Object.hasOwn(CANDIDATES, YARDSTICK));
  });

  for (const [name, create] of Object.entries(CANDIDATES)) {
    test(`${name} forwards method, path, headers minus hop-by-hop, the injected credential and both bodies with back-pressure`, async () => {
      const forwarder = create(new URL(`${upstreamUrl}/api`));
      const proxy = http.createServer(forwarder.handle);
      try {
        const problems = await checkForwarding(await listen(proxy), { upstream: upstreamUrl, largeBytes: 40 * 1024 * 1024 });
        assert.deepEqual(problems, []);
      } finally {
        proxy.closeAllConnections();
        proxy.close();
        await forwarder.close();
      }
    });
  }
});
