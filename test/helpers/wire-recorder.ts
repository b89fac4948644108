/**
 * A pass-through in front of a real toolproxy server on loopback that records the body of every
 * `POST /api/v1/execute_tool` as the client sent it, so the client tests (SDKs, CLI, dashboard)
 * can check what went on the wire; every request goes to the server unchanged and its answer
 * comes back unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireRecorder {
  url: string;
  /** The bodies of every execute_tool call received, as sent on the wire. */
  executions: Array<Record<string, any>>;
  close(): Promise<void>;
}

const NOT_FORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'expect']);
const NOT_RETURNED = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection']);

export async function startWireRecorder(serverUrl: string): Promise<WireRecorder> {
  const executions: Array<Record<string, any>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const forward = async (): Promise<void> => {
        if (req.method === 'POST' && req.url === '/api/v1/execute_tool') executions.push(JSON.parse(raw.toString('utf8')) as Record<string, any>);
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !NOT_FORWARDED.has(name)) headers.set(name, value);
        const forwarded = await fetch(`${serverUrl}${req.url}`, { method: req.method ?? 'GET', headers, ...(raw.length > 0 ? { body: raw } : {}) });
        const out: Record<string, string> = {};
        forwarded.headers.forEach((value, name) => {
          if (!NOT_RETURNED.has(name)) out[name] = value;
        });
        res.writeHead(forwarded.status, out);
        res.end(Buffer.from(await forwarded.arrayBuffer()));
      };
      forward().catch((thrown: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'RECORDER_FORWARD_FAILED', message: String(thrown) } }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    executions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
