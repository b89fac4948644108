#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import type { BootstrapClient } from './clients/bootstrap.ts';
import { createServer, type Server, VERSION } from './server.ts';

/**
 * `npm start` and `toolproxy start`: read the config, open the store, listen, and say where
 * everything is; stop cleanly on SIGINT/SIGTERM. A bad setting or a failed start is one clear
 * line on stderr and exit code 1, not a stack trace (see `startFailure`).
 */
export async function runServer(env: NodeJS.ProcessEnv = process.env, stdout: NodeJS.WritableStream = process.stdout): Promise<Server> {
  const config = loadConfig(env);
  const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : undefined;
  const server = await createServer(config, tls ? { tls } : {});
  const address = await server.listen(config.host, config.port);
  const port = new URL(address).port;
  const publicUrl = env.TOOLPROXY_PUBLIC_URL ? config.publicUrl : `${config.tls ? 'https' : 'http'}://localhost:${port}`;
  const { bootstrap, keyring } = server;

  const lines = [
    `toolproxy ${VERSION} listening on ${address}`,
    `  API and Tool Proxy : ${publicUrl}  (OpenAPI: ${publicUrl}/api/openapi.json)`,
    `  Dashboard          : ${publicUrl}/dashboard/  (sign in with the API client below)`,
    `  Hosted pages       : ${publicUrl}/connect/…  (authorization links)`,
    `  Database           : ${config.database.kind === 'sqlite' ? config.database.path : 'postgres (DATABASE_URL)'}`,
    `  Encryption key     : ${keyring.source === 'environment' ? 'TOOLPROXY_ENCRYPTION_KEY' : `${keyring.keyFile}${keyring.source === 'generated' ? ' (generated now: back it up; without it stored credentials are lost)' : ''}`}`,
    ...bootstrapLines(bootstrap, publicUrl),
  ];
  stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`toolproxy: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return server;
}

/**
 * The bootstrap client in the banner. Its secret is shown once, by the start that created it
 * (container logs keep what is printed); later starts say where it is kept instead.
 */
function bootstrapLines(bootstrap: BootstrapClient, publicUrl: string): string[] {
  const head = [`  Bootstrap API client${bootstrap.created ? ' (created now)' : ''}:`, `    SCALEKIT_ENV_URL / TOOLPROXY_URL = ${publicUrl}`, `    client_id     = ${bootstrap.clientId}`];
  switch (bootstrap.source) {
    case 'environment':
      return [...head, '    client_secret = (from TOOLPROXY_BOOTSTRAP_CLIENT_SECRET)'];
    case 'file':
      return bootstrap.clientSecret
        ? [...head, `    client_secret = ${bootstrap.clientSecret}`, `    (shown this once; kept in ${bootstrap.file}, mode 0600, where the CLI finds it)`]
        : [...head, `    client_secret = (not shown again: it is in ${bootstrap.file})`];
    case 'database':
      return [
        ...head,
        '    client_secret = (created by another instance sharing this database: shown once there, and kept in its data dir)',
        ...(bootstrap.stale ? [`    ${bootstrap.stale} holds another client, which this database does not have`] : []),
      ];
  }
}

/** The one line a failed start prints. */
export function startFailure(error: unknown): string {
  const message = error instanceof ConfigError ? error.message : `could not start: ${(error as Error).message ?? String(error)}`;
  return `toolproxy: ${message.split('\n')[0]}`;
}

// Run only as the entry point (`node dist/src/main.js`), not when the CLI imports runServer.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runServer().catch((error: unknown) => {
    process.stderr.write(`${startFailure(error)}\n`);
    process.exit(1);
  });
}
