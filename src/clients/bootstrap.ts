import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store.ts';
import { type ApiClientsService, newApiClientId, newApiClientSecret } from './api-clients-service.ts';

export const BOOTSTRAP_FILE_NAME = 'bootstrap-client.json';

export type BootstrapClient =
  /** TOOLPROXY_BOOTSTRAP_CLIENT_ID/SECRET: the operator holds the secret; nothing is written. */
  | { source: 'environment'; clientId: string; created: boolean }
  /**
   * Kept in this data dir (mode 0600). `clientSecret` is set only when the client was created by
   * this start: the banner shows it that once (container logs keep what is printed).
   */
  | { source: 'file'; clientId: string; clientSecret?: string; file: string; created: boolean }
  /**
   * Another instance sharing the database created it (its secret was shown there once and is
   * kept in that instance's data dir); `stale` is this data dir's own file, for a client the
   * database does not have.
   */
  | { source: 'database'; clientId: string; created: false; stale?: string };

/**
 * The first API client, so a fresh install can be used at once: one per database, however many
 * instances (each with its own data dir) share it. Its credentials are kept in the data dir of
 * the instance that created it, so the CLI next to it needs no configuration; the database holds
 * only the secret's hash. With TOOLPROXY_BOOTSTRAP_CLIENT_ID/SECRET set, those are used instead.
 */
export async function ensureBootstrapClient(deps: {
  store: Store;
  clients: ApiClientsService;
  dataDir: string;
  fixed: { clientId: string; clientSecret: string } | undefined;
}): Promise<BootstrapClient> {
  const { store, clients, dataDir, fixed } = deps;
  // One instance at a time past this point: the check and the insert are one decision.
  return store.transaction(async (repos) => {
    await repos.apiClients.lockBootstrap();
    if (fixed) {
      const exists = await repos.apiClients.findByClientId(fixed.clientId);
      if (!exists) await clients.create('bootstrap', { ...fixed, isBootstrap: true, repos });
      return { source: 'environment', clientId: fixed.clientId, created: !exists };
    }

    const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
    const saved = readSaved(file);
    const existing = await repos.apiClients.findBootstrap();
    if (saved) {
      if (await repos.apiClients.findByClientId(saved.client_id)) return { source: 'file', clientId: saved.client_id, file, created: false };
      // A new, empty database (say, a switch to Postgres) gets this data dir's client back.
      if (!existing) {
        await clients.create('bootstrap', { clientId: saved.client_id, clientSecret: saved.client_secret, isBootstrap: true, repos });
        return { source: 'file', clientId: saved.client_id, file, created: true };
      }
      return { source: 'database', clientId: existing.client_id, created: false, stale: file };
    }
    if (existing) return { source: 'database', clientId: existing.client_id, created: false };

    // The file first: a crash between the two leaves a file whose client the next start inserts,
    // never a client whose secret nobody has.
    const record = { client_id: newApiClientId(), client_secret: newApiClientSecret() };
    fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await clients.create('bootstrap', { clientId: record.client_id, clientSecret: record.client_secret, isBootstrap: true, repos });
    } catch (error) {
      fs.rmSync(file, { force: true });
      throw error;
    }
    return { source: 'file', clientId: record.client_id, clientSecret: record.client_secret, file, created: true };
  });
}

function readSaved(file: string): { client_id: string; client_secret: string } | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id: string; client_secret: string };
}
