#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
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
    `  Bootstrap API client${bootstrap.created ? ' (created now)' : ''}:`,
    `    SCALEKIT_ENV_URL / TOOLPROXY_URL = ${publicUrl}`,
    `    client_id     = ${bootstrap.clientId}`,
    bootstrap.source === 'environment'
      ? '    client_secret = (from TOOLPROXY_BOOTSTRAP_CLIENT_SECRET)'
      : `    client_secret = ${bootstrap.clientSecret}`,
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
