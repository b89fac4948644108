import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { INJECTED_NAME, INJECTED_VALUE } from '../servers/forwarding/headers.ts';
import { withChildren } from './cpu.ts';
import { ensureDebianPackage } from './packages.ts';
import { pinned } from './processes.ts';

export function ensureNginx(): void {
  ensureDebianPackage('nginx', ['-v'], 'nginx');
}

/**
 * nginx as a second reference: one worker (like one Node process), injecting the same header as
 * the yardstick, keep-alive to the upstream, bodies streamed both ways (no buffering, as the Node
 * proxies), no access log. What nginx cannot do from configuration: drop headers the caller names
 * in `Connection` (RFC 9110 §7.6.1); the forwarding check reports it.
 */
function config(dir: string, listenPort: number, upstreamPort: number): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_max_body_size 0;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 60s;
  keepalive_requests 10000000;
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 512;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      # With a variable, the request target goes upstream exactly as it came (no re-encoding).
      proxy_pass http://bench_upstream/api$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header ${INJECTED_NAME} "${INJECTED_VALUE}";
      # Hop-by-hop fields (RFC 9110 §7.6.1) nginx would otherwise pass on.
      proxy_set_header Keep-Alive "";
      proxy_set_header Proxy-Connection "";
      proxy_set_header TE "";
      proxy_set_header Trailer "";
      proxy_set_header Upgrade "";
      proxy_hide_header Proxy-Connection;
      proxy_hide_header Upgrade;
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

export interface Nginx {
  port: number;
  pids(): number[];
  stop(): Promise<void>;
}

/** Starts nginx in the foreground with its own config, pid, temp and log files under `dir`. */
export async function startNginx(options: { dir: string; upstreamPort: number; cpus?: string }): Promise<Nginx> {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const port = await freePort();
  writeFileSync(`${options.dir}/nginx.conf`, config(options.dir, port, options.upstreamPort));
  const [command, args] = pinned(options.cpus, 'nginx', ['-p', options.dir, '-c', `${options.dir}/nginx.conf`, '-e', `${options.dir}/error.log`]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(port, Date.now() + 10_000),
    exited.then(() => {
      throw new Error(`nginx exited at start (see ${options.dir}/error.log)`);
    }),
  ]);
  return {
    port,
    pids: () => withChildren(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      await exited;
    },
  };
}
