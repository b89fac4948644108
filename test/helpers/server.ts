import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ApprovalRequirement } from '../../src/approvals/approval-step.ts';
import type { Clock } from '../../src/clock.ts';
import type { McpToolProvider } from '../../src/mcp/tool-provider.ts';
import { loadConfig } from '../../src/config.ts';
import { createServer, type Server, type ServerOverrides } from '../../src/server.ts';
import type { TestDatabase } from './databases.ts';

export interface TestServer {
  url: string;
  server: Server;
  dataDir: string;
  /** Every log line the server wrote (debug level), for assertions and the canary sweep. */
  logs: string[];
  clientId: string;
  clientSecret: string;
  /** A fresh app access token from POST /oauth/token. */
  token(): Promise<string>;
  /** JSON call to the management API with a valid token; returns status, headers and parsed body. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Bootstrap credentials by database, for instances that share one (the first one made them). */
const credentialsByDatabase = new Map<string, { clientId: string; clientSecret: string }>();

/**
 * The bootstrap client's credentials, as an operator finds them: the data dir's file, or (an
 * instance that shares its database with another) the ones the first instance created.
 */
export function bootstrapCredentials(server: Server, databaseKey: string, env: Record<string, string | undefined> = {}): { clientId: string; clientSecret: string } {
  const { bootstrap } = server;
  if (bootstrap.source === 'environment' && env.TOOLPROXY_BOOTSTRAP_CLIENT_SECRET) {
    return { clientId: bootstrap.clientId, clientSecret: env.TOOLPROXY_BOOTSTRAP_CLIENT_SECRET };
  }
  if (bootstrap.source === 'file') {
    const saved = JSON.parse(readFileSync(bootstrap.file, 'utf8')) as { client_id: string; client_secret: string };
    const credentials = { clientId: saved.client_id, clientSecret: saved.client_secret };
    credentialsByDatabase.set(databaseKey, credentials);
    return credentials;
  }
  const shared = credentialsByDatabase.get(databaseKey);
  if (bootstrap.source === 'database' && shared?.clientId === bootstrap.clientId) return shared;
  throw new Error(`no bootstrap credentials for ${bootstrap.clientId} (${bootstrap.source}): pass TOOLPROXY_BOOTSTRAP_CLIENT_ID/SECRET`);
}

/** Starts a real server on loopback with its own data dir (and the given database). */
export async function startTestServer(
  options: {
    database?: TestDatabase;
    env?: Record<string, string>;
    clock?: Clock;
    onResponse?: (r: ApiResponse) => void;
    /** Listen as `npm start` does, HTTP/1.1 and HTTP/2 on one port (the Scalekit SDK's gRPC needs it). */
    dualProtocol?: boolean;
    /** A built-in connector catalog other than the shipped one. */
    catalogDir?: string;
    /** Listen on this port (instances that share a public URL pick theirs first). */
    port?: number;
    /** The tools the MCP endpoint serves. */
    mcpToolProvider?: McpToolProvider;
    /** Which proxied calls need a person's approval (docs/approvals.md). */
    approvalRequirement?: ApprovalRequirement;
    /** The audit trail's queue and timing, and a wrapper around its repository (e.g. one that blocks). */
    audit?: ServerOverrides['audit'];
  } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tp-server-'));
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    // Links and OAuth redirect URIs point at the address the server really listens on.
    TOOLPROXY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    TOOLPROXY_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    // The test upstreams live on loopback, which the egress policy refuses by default (P10).
    TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
    ...(options.database?.options.kind === 'postgres' ? { DATABASE_URL: options.database.options.url } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const server = await createServer(
    options.database?.options.kind === 'sqlite' ? { ...config, database: { kind: 'sqlite', path: options.database.options.path } } : config,
    {
      logStream,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.catalogDir ? { catalogDir: options.catalogDir } : {}),
      ...(options.mcpToolProvider ? { mcpToolProvider: options.mcpToolProvider } : {}),
      ...(options.approvalRequirement ? { approvalRequirement: options.approvalRequirement } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
    },
  );
  if (options.dualProtocol) await server.listen('127.0.0.1', port);
  else await server.app.listen({ host: '127.0.0.1', port });
  const url = `http://127.0.0.1:${port}`;
  let credentials: { clientId: string; clientSecret: string };
  try {
    credentials = bootstrapCredentials(server, options.database?.options.kind === 'sqlite' ? options.database.options.path : (env.DATABASE_URL ?? dataDir), env);
  } catch (error) {
    // A server left listening would keep the test file's process alive.
    await server.close();
    throw error;
  }
  const { clientId, clientSecret } = credentials;

  const token = async () => {
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  let cached: string | undefined;

  return {
    url,
    server,
    dataDir,
    logs,
    clientId,
    clientSecret,
    token,
    async api(method, path, body, headers = {}) {
      const send = async () =>
        fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${(cached ??= await token())}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
      let response = await send();
      // Tests that move the server's clock forward outlive their app token: renew it once.
      if (response.headers.get('x-toolproxy-error') === 'TOKEN_EXPIRED' && !headers.authorization) {
        cached = undefined;
        response = await send();
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      const result = { status: response.status, headers: response.headers, text, body: parsed as any };
      options.onResponse?.(result);
      return result;
    },
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
