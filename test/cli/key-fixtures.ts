import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_COLUMNS } from '../../src/store/secrets-repository.ts';
import type { Store } from '../../src/store/store.ts';
import { deriveKid, KEY_FILE_NAME } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { accountRow, connectionRow, connectorRow } from '../store/fixtures.ts';

export interface SeededSecret {
  table: string;
  column: string;
  id: string;
  plaintext: string;
}

/** `accounts` ACTIVE accounts with encrypted credentials and one connection with encrypted secrets. */
export async function seedSecrets(store: Store, vault: Vault, accounts: number): Promise<SeededSecret[]> {
  const seeded: SeededSecret[] = [];
  await store.transaction(async (repos) => {
    const connector = connectorRow();
    await repos.connectors.insert(connector);
    const connection = connectionRow(connector.id);
    await repos.connections.insert(connection);
    const secrets = JSON.stringify({ client_secret: `cs_${connection.id}` });
    await repos.connections.update(connection.id, { secrets: vault.encrypt(secrets, { table: 'connections', rowId: connection.id, column: 'secrets' }) });
    seeded.push({ table: 'connections', column: 'secrets', id: connection.id, plaintext: secrets });
    // A revocation waiting in the retry queue: its token is rotated like every other secret.
    const revocationId = `rv_${connection.id.slice(5)}`;
    const token = `rt_${revocationId}`;
    await repos.tokenRevocations.insert({
      id: revocationId, account_id: 'ca_gone', connection_id: connection.id, token: vault.encrypt(token, { table: 'token_revocations', rowId: revocationId, column: 'token' }),
      token_type_hint: 'refresh_token', attempts: 1, next_attempt_at: Date.now() + 86_400_000, lease_owner: null, lease_until: null, last_error: 'OAUTH_PROVIDER_UNAVAILABLE', created_at: Date.now(),
    });
    seeded.push({ table: 'token_revocations', column: 'token', id: revocationId, plaintext: token });
    for (let i = 0; i < accounts; i++) {
      const row = accountRow(connection.id, `user_${i}`, { status: 'ACTIVE', credentials_version: 1 });
      const plaintext = JSON.stringify({ api_key: `sk_${i}_${row.id}` });
      row.credentials = vault.encrypt(plaintext, { table: 'connected_accounts', rowId: row.id, column: 'credentials' });
      await repos.accounts.insert(row);
      seeded.push({ table: 'connected_accounts', column: 'credentials', id: row.id, plaintext });
    }
  });
  // A call held for approval: its headers and body are rotated like every other secret.
  const approvalId = `apr_${randomBytes(15).toString('base64url')}`;
  const headers = JSON.stringify({ 'x-caller-secret': `hs_${approvalId}` });
  const body = Buffer.from(`{"held":"${approvalId}"}`).toString('base64');
  await store.db.insertInto('approvals').values({
    id: approvalId, status: 'PENDING', account_id: 'ca_x', connection_name: 'crm', identifier: 'u', method: 'POST', path: '/v1/charges',
    headers: vault.encrypt(headers, { table: 'approvals', rowId: approvalId, column: 'headers' }), body: vault.encrypt(body, { table: 'approvals', rowId: approvalId, column: 'body' }),
    body_bytes: 20, door: 'proxy', tool_name: null, execution_id: null, requested_by: null, rule: 'test', waiting: 0, created_at: Date.now(), expires_at: Date.now() + 3_600_000,
    decided_by: null, decided_at: null, executed_by: null, executed_at: null, result_status: null, result_error: null,
  }).execute();
  seeded.push({ table: 'approvals', column: 'headers', id: approvalId, plaintext: headers }, { table: 'approvals', column: 'body', id: approvalId, plaintext: body });
  return seeded;
}

/** Every seeded secret decrypts with `vault` to what was stored; returns the kid of each. */
export async function readBack(store: Store, vault: Vault, seeded: SeededSecret[]): Promise<Map<string, number>> {
  const kids = new Map<string, number>();
  for (const column of SECRET_COLUMNS) {
    const rows = await store.secrets.listNotOnKid(column, 'no-such-kid', null, 1_000_000);
    for (const row of rows) {
      const expected = seeded.find((s) => s.table === column.table && s.column === column.column && s.id === row.id);
      if (!expected) continue;
      const plaintext = vault.decrypt(row.value, { table: column.table, rowId: row.id, column: column.column });
      if (plaintext !== expected.plaintext) throw new Error(`${column.table} ${row.id} decrypted to something else`);
      const kid = Vault.kidOf(row.value)!;
      kids.set(kid, (kids.get(kid) ?? 0) + 1);
    }
  }
  return kids;
}

/** The kids in a data dir's key file, newest first. */
export function keyFileKids(dataDir: string): string[] {
  return readFileSync(join(dataDir, KEY_FILE_NAME), 'utf8')
    .split(/\s+/)
    .filter(Boolean)
    .map((line) => deriveKid(Buffer.from(line, 'base64')));
}
