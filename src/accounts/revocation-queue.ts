import { type AuditRecorder, SYSTEM_ACTOR } from '../audit/audit-entry.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { OAuthClient } from '../auth/oauth/oauth-client.ts';
import type { OAuthCredentials } from '../auth/oauth/token-set.ts';
import type { Clock } from '../clock.ts';
import type { LoadedConnection } from '../connections/connections-service.ts';
import { isToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AccountRow, TokenRevocationRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { credentialsBinding, type Revocations } from './accounts-service.ts';

export function revocationBinding(id: string): SecretBinding {
  return { table: 'token_revocations', rowId: id, column: 'token' };
}

export interface RevocationLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RevocationQueueOptions {
  /** First retry after this long; each later one waits twice as long, up to maxDelayMs (±20 % jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all, the first included; then the revocation is given up (logged at error level). */
  maxAttempts: number;
  /** How often each instance looks for due revocations. */
  pollIntervalMs: number;
  /** A lease outlives one attempt (the token endpoint timeout) with margin. */
  leaseMs: number;
}

export const DEFAULT_REVOCATION_OPTIONS: RevocationQueueOptions = {
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 10, // 30 s … 1 h apart: about 4.5 hours in all
  pollIntervalMs: 30_000,
  leaseMs: 30_000,
};

type Outcome = 'revoked' | 'retry' | 'give_up';

/**
 * O17 / RFC 7009 with a durable outbox. When an OAUTH account is deleted or disconnected, the
 * token to revoke (the refresh token, which revokes the grant; else the access token) is
 * re-encrypted for a `token_revocations` row written in the same transaction as the change.
 * The instance that made the change tries it at once; a failure (a 503 means "retry later",
 * RFC 7009 §2.2.1) is retried with backoff by whichever instance takes the row's lease first,
 * also after restarts, until it succeeds or `maxAttempts` is reached. Local deletion never
 * waits on the provider, and the token never leaves the vault but for the revocation call.
 */
export class RevocationQueue implements Revocations {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #clientFor: (connection: LoadedConnection) => OAuthClient;
  readonly #loadConnection: (connectionId: string) => Promise<LoadedConnection>;
  readonly #log: RevocationLog;
  readonly #options: RevocationQueueOptions;
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #running = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    clientFor: (connection: LoadedConnection) => OAuthClient;
    loadConnection: (connectionId: string) => Promise<LoadedConnection>;
    log: RevocationLog;
    options?: Partial<RevocationQueueOptions>;
    /** The audit trail: one `credentials.revoke` entry per revocation, when it is done or abandoned. */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#clientFor = deps.clientFor;
    this.#loadConnection = deps.loadConnection;
    this.#log = deps.log;
    this.#options = { ...DEFAULT_REVOCATION_OPTIONS, ...deps.options };
    this.#audit = deps.audit;
  }

  plan(row: AccountRow, connection: LoadedConnection): TokenRevocationRow | null {
    const { pattern } = connection.connector;
    if (pattern.type !== 'OAUTH' || !pattern.oauth_config.revoke_uri || row.credentials === null) return null;
    let credentials: OAuthCredentials;
    try {
      credentials = this.#vault.decryptJson<OAuthCredentials>(row.credentials, credentialsBinding(row.id));
    } catch (error) {
      // Unreadable credentials cannot be revoked; the account is removed all the same.
      this.#log.warn({ err: error, account: row.id }, 'token revocation skipped: the stored credentials do not decrypt');
      return null;
    }
    const [token, hint] = credentials.refresh_token ? [credentials.refresh_token, 'refresh_token' as const] : [credentials.access_token, 'access_token' as const];
    const id = newId('rv');
    const now = this.#clock();
    return {
      id,
      account_id: row.id,
      connection_id: connection.row.id,
      token: this.#vault.encrypt(token, revocationBinding(id)),
      token_type_hint: hint,
      attempts: 0,
      next_attempt_at: now,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: now,
    };
  }

  /**
   * Queues and tries the revocation of tokens no account holds any more (a refresh that
   * finished after its account was deleted or disconnected). Never throws: logged instead.
   */
  async revokeOrphaned(accountId: string, connection: LoadedConnection, credentials: OAuthCredentials): Promise<void> {
    try {
      const row = { id: accountId, credentials: this.#vault.encryptJson(credentials, credentialsBinding(accountId)) } as AccountRow;
      const planned = this.plan(row, connection);
      if (!planned) return;
      await this.#store.tokenRevocations.insert(planned);
      this.kick(planned.id);
    } catch (error) {
      this.#log.error({ err: error, account: accountId }, 'could not queue the revocation of orphaned tokens');
    }
  }

  kick(id: string): void {
    this.#track(this.#attempt(id));
  }

  /** Works every due revocation once (what each poll does); resolves with how many were tried. */
  async runDue(limit = 50): Promise<number> {
    const ids = await this.#store.tokenRevocations.due(this.#clock(), limit);
    const tried = await Promise.all(ids.map((id) => this.#attempt(id)));
    return tried.filter(Boolean).length;
  }

  /** Polls on a timer that never keeps the process alive. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.#track(this.runDue()), this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  /** Stops polling and waits for attempts in flight (their rows stay queued if unfinished). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#log.error({ err: error }, 'token revocation queue failed'));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }

  /** One attempt under the row's lease; false when another instance holds it or it is not due. */
  async #attempt(id: string): Promise<boolean> {
    const now = this.#clock();
    const row = await this.#store.tokenRevocations.claim(id, this.#owner, now, now + this.#options.leaseMs);
    if (!row) return false;
    const { outcome, code, error } = await this.#revoke(row);
    const attempts = row.attempts + 1;
    const context = { revocation: row.id, account: row.account_id, connection: row.connection_id, attempts };
    if (outcome === 'revoked') {
      await this.#store.tokenRevocations.remove(row.id, this.#owner);
      this.#audited(row, code === 'OK' ? 'ok' : code, attempts);
      if (row.attempts > 0) this.#log.info(context, 'token revoked after retries');
    } else if (outcome === 'give_up' || attempts >= this.#options.maxAttempts) {
      await this.#store.tokenRevocations.remove(row.id, this.#owner);
      this.#audited(row, code, attempts);
      this.#log.error({ ...context, code, err: error }, 'token revocation abandoned: revoke the grant at the provider by hand');
    } else {
      const nextAttemptAt = this.#clock() + this.#delay(attempts);
      await this.#store.tokenRevocations.reschedule(row.id, this.#owner, { attempts, next_attempt_at: nextAttemptAt, last_error: code });
      this.#log.warn({ ...context, code, next_attempt_at: new Date(nextAttemptAt).toISOString() }, 'token revocation failed; will retry');
    }
    return true;
  }

  #audited(row: TokenRevocationRow, outcome: string, attempts: number): void {
    this.#audit?.record({ action: 'credentials.revoke', actor: SYSTEM_ACTOR, target: { type: 'connected_account', id: row.account_id }, outcome, details: { revocation: row.id, connection_id: row.connection_id, token_type: row.token_type_hint, attempts } });
  }

  async #revoke(row: TokenRevocationRow): Promise<{ outcome: Outcome; code: string; error?: unknown }> {
    let connection: LoadedConnection;
    try {
      connection = await this.#loadConnection(row.connection_id);
    } catch (error) {
      if (isToolproxyError(error) && error.code === 'CONNECTION_NOT_FOUND') return { outcome: 'give_up', code: 'CONNECTION_NOT_FOUND' };
      return { outcome: 'retry', code: isToolproxyError(error) ? error.code : 'INTERNAL_ERROR', error };
    }
    // The connector lost its revocation endpoint (or its OAuth pattern) since: nothing to call.
    const { pattern } = connection.connector;
    if (pattern.type !== 'OAUTH' || !pattern.oauth_config.revoke_uri) return { outcome: 'revoked', code: 'NO_REVOCATION_ENDPOINT' };
    try {
      const token = this.#vault.decrypt(row.token, revocationBinding(row.id));
      await this.#clientFor(connection).revoke(token, row.token_type_hint);
      return { outcome: 'revoked', code: 'OK' };
    } catch (error) {
      return { outcome: classify(error), code: isToolproxyError(error) ? error.code : 'INTERNAL_ERROR', error };
    }
  }

  #delay(attempts: number): number {
    const plain = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempts - 1));
    return Math.round(plain * (0.8 + Math.random() * 0.4));
  }
}

/** What a failed revocation means (RFC 7009 §2.2, §2.2.1; O12 for the transport). */
function classify(error: unknown): Outcome {
  if (!isToolproxyError(error)) return 'retry';
  const oauthError = (error.details as { error?: unknown } | undefined)?.error;
  switch (error.code) {
    case 'ACCOUNT_EXPIRED': // invalid_grant: the token is no longer valid at the provider
      return 'revoked';
    case 'OAUTH_PROVIDER_ERROR':
      // unsupported_token_type: the server does not revoke this kind; nothing more we can do.
      return oauthError === 'unsupported_token_type' ? 'revoked' : 'give_up';
    case 'CREDENTIALS_UNREADABLE':
      return 'give_up';
    default:
      // Unavailable (5xx, 503, network, timeout), client rejected (fixable), egress refused (fixable).
      return 'retry';
  }
}
