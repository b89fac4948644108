#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.ts';
import { createServer, VERSION } from './server.ts';

/**
 * `npm start`: read the config, open the store, listen, and say where everything is. A bad
 * setting or a failed start is one clear line on stderr and exit code 1, not a stack trace.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const server = await createServer(config);
  const address = await server.app.listen({ host: config.host, port: config.port });
  const port = new URL(address).port;
  const publicUrl = process.env.TOOLPROXY_PUBLIC_URL ? config.publicUrl : `http://localhost:${port}`;
  const { bootstrap, keyring } = server;

  const lines = [
    `toolproxy ${VERSION} listening on ${address}`,
    `  API and Tool Proxy : ${publicUrl}  (OpenAPI: ${publicUrl}/api/openapi.json)`,
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
  process.stdout.write(`${lines.join('\n')}\n`);

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
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `could not start: ${(error as Error).message ?? String(error)}`;
  process.stderr.write(`toolproxy: ${message.split('\n')[0]}\n`);
  process.exit(1);
});
