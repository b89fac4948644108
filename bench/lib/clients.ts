import { Readable } from 'node:stream';
import { Agent } from 'undici';

/** Clients the orchestrator drives itself (on the load generator's core). */

const agent = new Agent({ keepAliveTimeout: 10_000 });

function proxyHeaders(token: string, identifier: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, connection_name: 'bench', identifier };
}

/** One call per account, 64 at a time, so the timed run measures warm caches. Returns seconds. */
export async function warmAccounts(baseUrl: string, token: string, accounts: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < accounts) {
      const identifier = `user_${next++}`;
      const response = await agent.request({ origin: baseUrl, path: '/proxy/v1/customers', method: 'GET', headers: proxyHeaders(token, identifier) });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`warm-up of ${identifier} got HTTP ${response.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return (performance.now() - started) / 1000;
}

/** Downloads `bytes` through the proxy and checks the count. */
export async function streamDownload(url: string, token: string, bytes: number): Promise<{ seconds: number; mbPerSecond: number }> {
  const started = performance.now();
  const target = new URL(url);
  const response = await agent.request({ origin: target.origin, path: target.pathname, method: 'GET', headers: proxyHeaders(token, 'user_0') });
  let received = 0;
  for await (const chunk of response.body) received += (chunk as Buffer).length;
  if (response.statusCode !== 200 || received !== bytes) throw new Error(`download: HTTP ${response.statusCode}, ${received} of ${bytes} bytes`);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, mbPerSecond: bytes / 1024 / 1024 / seconds };
}

/** Uploads `bytes` (generated, never held in memory) through the proxy. */
export async function streamUpload(url: string, token: string, bytes: number): Promise<{ seconds: number; mbPerSecond: number }> {
  const started = performance.now();
  const target = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, 120);
  async function* generate() {
    for (let sent = 0; sent < bytes; sent += chunk.length) yield sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent);
  }
  const response = await agent.request({
    origin: target.origin,
    path: target.pathname,
    method: 'POST',
    headers: { ...proxyHeaders(token, 'user_0'), 'content-type': 'application/octet-stream', 'content-length': String(bytes) },
    body: Readable.from(generate()),
  });
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`upload: HTTP ${response.statusCode}`);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, mbPerSecond: bytes / 1024 / 1024 / seconds };
}

/**
 * A noisy neighbour (security checklist P19): keeps `concurrency` calls in flight for one account
 * to a slow upstream path, each caller calling again as soon as its call ends, or after the
 * Retry-After delay when it was refused. Runs until `stop()`, which reports the outcomes.
 */
export function flood(url: string, token: string, identifier: string, concurrency: number): { stop(): Promise<{ ok: number; refused: number; failed: number }> } {
  const target = new URL(url);
  const floodAgent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const counts = { ok: 0, refused: 0, failed: 0 };
  let running = true;
  const caller = async () => {
    while (running) {
      try {
        const response = await floodAgent.request({ origin: target.origin, path: target.pathname, method: 'GET', headers: proxyHeaders(token, identifier) });
        await response.body.dump();
        if (response.statusCode === 200) counts.ok++;
        else if (response.statusCode === 429) {
          counts.refused++;
          await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers['retry-after'] ?? 1)));
        } else counts.failed++;
      } catch {
        counts.failed++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const callers = Array.from({ length: concurrency }, caller);
  return {
    async stop() {
      running = false;
      await Promise.all(callers);
      await floodAgent.close();
      return counts;
    },
  };
}
