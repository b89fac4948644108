import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AccountsService } from './accounts/accounts-service.ts';
import { AuthorizationLinks } from './accounts/authorization-links.ts';
import { ChangeFeed } from './changes.ts';
import { ApiClientsService } from './clients/api-clients-service.ts';
import { AppTokenSigner } from './clients/app-tokens.ts';
import { type BootstrapClient, ensureBootstrapClient } from './clients/bootstrap.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { ConnectionsService } from './connections/connections-service.ts';
import { ConnectorsService } from './connectors/connectors-service.ts';
import { buildApp } from './http/app.ts';
import { AccountResolver } from './proxy/account-resolver.ts';
import { createCredentialVerifier } from './proxy/credential-verifier.ts';
import { Forwarder } from './proxy/forwarder.ts';
import { ProxyService } from './proxy/proxy-service.ts';
import { UsageRecorder } from './proxy/usage-recorder.ts';
import { openStore, type Store } from './store/store.ts';
import { deriveSubkey, type Keyring, loadKeyring } from './vault/keyring.ts';
import { Vault } from './vault/vault.ts';

export const VERSION = '0.1.0';

export interface Server {
  app: FastifyInstance;
  store: Store;
  keyring: Keyring;
  bootstrap: BootstrapClient;
  close(): Promise<void>;
}

export interface ServerOverrides {
  clock?: Clock;
  /** Where log lines go (tests capture them for the canary sweep). */
  logStream?: NodeJS.WritableStream;
}

/** The composition root: builds every part from the config and wires them together. */
export async function createServer(config: Readonly<Config>, overrides: ServerOverrides = {}): Promise<Server> {
  const clock = overrides.clock ?? systemClock;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const keyring = loadKeyring({ encryptionKey: config.encryptionKey, dataDir: config.dataDir });
  const store = await openStore(
    config.database.kind === 'sqlite' ? { kind: 'sqlite', path: config.database.path } : { kind: 'postgres', url: config.database.url },
  );
  try {
    await checkKeyMatchesStore(store, keyring, clock);
    const vault = new Vault(keyring);
    const changes = new ChangeFeed();
    const clients = new ApiClientsService({
      store,
      clock,
      signer: new AppTokenSigner(deriveSubkey(keyring, 'app-tokens')),
      tokenTtlSeconds: config.tokenTtlSeconds,
    });
    const connectors = new ConnectorsService({ store, clock, changes });
    const connections = new ConnectionsService({ store, clock, changes, connectors });
    const accounts = new AccountsService({ store, vault, clock, changes, connections });
    const forwarder = new Forwarder(config.upstream);
    const links = new AuthorizationLinks({
      store,
      vault,
      clock,
      changes,
      accounts,
      linkTtlSeconds: config.linkTtlSeconds,
      publicUrl: config.publicUrl,
      verifier: createCredentialVerifier(forwarder),
    });
    const resolver = new AccountResolver({ store, vault, clock, changes, ttlMs: config.accountCacheTtlMs });
    let app: FastifyInstance | undefined;
    const usage = new UsageRecorder({ store, clock, onError: (err) => app?.log.error({ err }, 'last_used_at flush failed') });
    const proxy = new ProxyService({ resolver, forwarder, usage });
    app = await buildApp(
      { clients, connectors, connections, accounts, links, proxy },
      {
        logger: { level: config.logLevel, ...(overrides.logStream ? { stream: overrides.logStream } : {}) },
        bodyLimitBytes: config.bodyLimitBytes,
        version: VERSION,
      },
    );
    const bootstrap = await ensureBootstrapClient({ store, clients, dataDir: config.dataDir, fixed: config.bootstrapClient });
    const ready = app;
    return {
      app: ready,
      store,
      keyring,
      bootstrap,
      async close() {
        await ready.close();
        await usage.close();
        await forwarder.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * S6: a restart with a different key must fail loudly at boot, not on every request later.
 * The store remembers the kids it has seen; at least one must be loaded now.
 */
async function checkKeyMatchesStore(store: Store, keyring: Keyring, clock: Clock): Promise<void> {
  const known = await store.encryptionKeys.list();
  if (known.length > 0 && !known.some((kid) => keyring.byKid.has(kid))) {
    throw new Error(
      `the encryption key does not match this database (it was written with key id ${known.join(', ')}; loaded: ${[...keyring.byKid.keys()].join(', ')}). Set TOOLPROXY_ENCRYPTION_KEY to the key this database was created with.`,
    );
  }
  await store.encryptionKeys.ensure(keyring.current.kid, clock());
}
