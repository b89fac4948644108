import { type AuditRecorder, outcomeOf, SYSTEM_ACTOR } from '../audit/audit-entry.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OAuthClient } from '../auth/oauth/oauth-client.ts';
import { isExpiring, type OAuthCredentials } from '../auth/oauth/token-set.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { LoadedConnection } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import type { AccountRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { credentialsBinding } from './accounts-service.ts';

export interface RefreshTarget {
  accountId: string;
  connectionName: string;
  identifier: string;
}

export type OrphanedTokens = (accountId: string, connection: LoadedConnection, credentials: OAuthCredentials) => Promise<void>;

export interface FreshTokens {
  accessToken: string;
  expiresAt: number | null;
}

/**
 * Keeps OAuth access tokens fresh, refreshing each account at most once at a time across the
 * whole cluster (security-checklist §3.3, R1–R8):
 * 1. in this process, concurrent callers share one promise per account;
 * 2. across processes, a lease row (owner + expiry) taken by compare-and-set, then a re-read:
 *    if someone else refreshed meanwhile, their tokens are used and no refresh is sent;
 * 3. the token call runs outside any transaction; the result is written only while the lease is
 *    still ours and the version unchanged;
 * 4. `invalid_grant` re-reads first (a sibling may have rotated the token) and only then marks
 *    the account EXPIRED; network errors and 5xx never expire an account (O12).
 */
export class TokenRefresher {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #clientFor: (connection: LoadedConnection) => OAuthClient;
  readonly #loadConnection: (connectionId: string) => Promise<LoadedConnection>;
  readonly #windowMs: number;
  readonly #leaseMs: number;
  readonly #orphaned: OrphanedTokens | undefined;
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #inFlight = new Map<string, Promise<FreshTokens>>();
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    changes: ChangeFeed;
    clientFor: (connection: LoadedConnection) => OAuthClient;
    loadConnection: (connectionId: string) => Promise<LoadedConnection>;
    windowMs: number;
    /** Longer than the token-endpoint timeout, so a live holder never loses its lease. */
    leaseMs: number;
    /** Tokens refreshed for an account deleted or disconnected meanwhile: to be revoked (O17). */
    orphaned?: OrphanedTokens;
    /** The audit trail: one `credentials.refresh` entry per call to the token endpoint, with its outcome. */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#clientFor = deps.clientFor;
    this.#loadConnection = deps.loadConnection;
    this.#windowMs = deps.windowMs;
    this.#leaseMs = deps.leaseMs;
    this.#orphaned = deps.orphaned;
    this.#audit = deps.audit;
  }

  /** Number of refreshes in flight in this process (R8: never left behind). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Tokens that are fine to use: the stored ones when they are not expiring (and not the one the
   * upstream just rejected), fresh ones otherwise.
   */
  ensureFresh(target: RefreshTarget, rejectedAccessToken?: string): Promise<FreshTokens> {
    const running = this.#inFlight.get(target.accountId);
    if (running) return running;
    const refresh = this.#refresh(target, rejectedAccessToken).finally(() => this.#inFlight.delete(target.accountId));
    this.#inFlight.set(target.accountId, refresh);
    return refresh;
  }

  async #refresh(target: RefreshTarget, rejected: string | undefined): Promise<FreshTokens> {
    const giveUpAt = this.#clock() + this.#leaseMs * 2;
    let seenVersion: number | undefined;
    for (;;) {
      const now = this.#clock();
      const leased = await this.#store.accounts.claimRefreshLease(target.accountId, this.#owner, now, now + this.#leaseMs);
      if (!leased) {
        // Someone else is refreshing: wait for their result rather than racing them.
        const current = await this.#read(target);
        seenVersion ??= current.credentials_version;
        if (current.credentials_version !== seenVersion || !this.#needsRefresh(current, rejected)) return this.#fresh(current);
        if (this.#clock() > giveUpAt) throw new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE', { message: 'Another instance holds the refresh lease for too long.' });
        await sleep(20 + Math.floor(Math.random() * 40));
        continue;
      }
      try {
        return await this.#refreshUnderLease(target, leased, rejected);
      } finally {
        await this.#store.accounts.releaseRefreshLease(target.accountId, this.#owner);
      }
    }
  }

  async #refreshUnderLease(target: RefreshTarget, row: AccountRow, rejected: string | undefined): Promise<FreshTokens> {
    this.#assertActive(row);
    if (!this.#needsRefresh(row, rejected)) return this.#fresh(row);
    const credentials = this.#credentials(row);
    const connection = await this.#loadConnection(row.connection_id);
    let tokens;
    try {
      tokens = await this.#clientFor(connection).refresh(credentials);
      this.#audited(row, target, 'ok');
    } catch (error) {
      this.#audited(row, target, outcomeOf(error));
      if (!(error instanceof ToolproxyError) || error.code !== 'ACCOUNT_EXPIRED') throw error;
      // Race recovery: if the stored tokens changed while we asked, a sibling rotated them.
      const latest = await this.#read(target);
      if (latest.credentials_version !== row.credentials_version) return this.#fresh(latest);
      await this.#store.accounts.setStatus(row.id, 'EXPIRED', this.#clock());
      this.#changes.accountChanged(target.connectionName, target.identifier);
      throw error;
    }
    const written = await this.#store.accounts.writeRefreshedCredentials(row.id, this.#owner, row.credentials_version, {
      credentials: this.#vault.encryptJson(tokens.credentials, credentialsBinding(row.id)),
      token_expires_at: tokens.expiresAt,
      granted_scopes: tokens.scope,
      now: this.#clock(),
    });
    this.#changes.accountChanged(target.connectionName, target.identifier);
    // Lost the lease or the row (deleted meanwhile): never resurrect; report what is stored now.
    if (!written) {
      const latest = await this.#store.accounts.findById(row.id);
      // Deleted or disconnected while the provider answered: the tokens it just issued belong to
      // no account, so they are revoked too (a newer credential write keeps its own, untouched).
      if (!latest || latest.status === 'DISCONNECTED') await this.#orphaned?.(row.id, connection, tokens.credentials);
      if (!latest) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: target.connectionName, identifier: target.identifier } });
      return this.#fresh(latest);
    }
    return { accessToken: tokens.credentials.access_token, expiresAt: tokens.expiresAt };
  }

  #audited(row: AccountRow, target: RefreshTarget, outcome: string): void {
    this.#audit?.record({ action: 'credentials.refresh', actor: SYSTEM_ACTOR, target: { type: 'connected_account', id: row.id }, outcome, details: { connection: target.connectionName } });
  }

  #needsRefresh(row: AccountRow, rejected: string | undefined): boolean {
    if (row.credentials === null) return false;
    const credentials = this.#credentials(row);
    if (rejected !== undefined) return credentials.access_token === rejected;
    return isExpiring(credentials, row.token_expires_at, this.#clock(), this.#windowMs);
  }

  async #read(target: RefreshTarget): Promise<AccountRow> {
    const row = await this.#store.accounts.findById(target.accountId);
    if (!row) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: target.connectionName, identifier: target.identifier } });
    return row;
  }

  #fresh(row: AccountRow): FreshTokens {
    this.#assertActive(row);
    return { accessToken: this.#credentials(row).access_token, expiresAt: row.token_expires_at };
  }

  #assertActive(row: AccountRow): void {
    if (row.status === 'EXPIRED') throw new ToolproxyError('ACCOUNT_EXPIRED');
    if (row.status === 'DISCONNECTED') throw new ToolproxyError('ACCOUNT_DISCONNECTED');
    if (row.status !== 'ACTIVE' || row.credentials === null) throw new ToolproxyError('ACCOUNT_NOT_ACTIVE', { details: { status: row.status } });
  }

  #credentials(row: AccountRow): OAuthCredentials {
    return this.#vault.decryptJson<OAuthCredentials>(row.credentials as string, credentialsBinding(row.id));
  }
}
