import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store.ts';
import type { ApiClientsService } from './api-clients-service.ts';

export const BOOTSTRAP_FILE_NAME = 'bootstrap-client.json';

export interface BootstrapClient {
  clientId: string;
  clientSecret: string;
  /** Where the credentials live, for the start banner. */
  source: 'environment' | 'file';
  created: boolean;
}

/**
 * The first API client, so a fresh install can be used at once. Its credentials are kept in the
 * data dir (mode 0600) so every start can print the same ones; the database holds only the hash.
 * With TOOLPROXY_BOOTSTRAP_CLIENT_ID/SECRET set, those are used instead and nothing is written.
 */
export async function ensureBootstrapClient(deps: {
  store: Store;
  clients: ApiClientsService;
  dataDir: string;
  fixed: { clientId: string; clientSecret: string } | undefined;
}): Promise<BootstrapClient> {
  const { store, clients, dataDir, fixed } = deps;
  if (fixed) {
    const exists = await store.apiClients.findByClientId(fixed.clientId);
    if (!exists) await clients.create('bootstrap', { ...fixed, isBootstrap: true });
    return { ...fixed, source: 'environment', created: !exists };
  }

  const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id: string; client_secret: string };
    const exists = await store.apiClients.findByClientId(saved.client_id);
    // A new database (say, a switch to Postgres) gets the same bootstrap credentials back.
    if (!exists) await clients.create('bootstrap', { clientId: saved.client_id, clientSecret: saved.client_secret, isBootstrap: true });
    return { clientId: saved.client_id, clientSecret: saved.client_secret, source: 'file', created: !exists };
  }

  const { client, clientSecret } = await clients.create('bootstrap', { isBootstrap: true });
  const record = { client_id: client.client_id, client_secret: clientSecret.reveal() };
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { clientId: record.client_id, clientSecret: record.client_secret, source: 'file', created: true };
}
