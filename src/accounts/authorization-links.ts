import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { LoadedConnection } from '../connections/connections-service.ts';
import type { AuthPattern, ConnectorDefinition } from '../connectors/definition-schema.ts';
import { ToolproxyError } from '../errors.ts';
import { newId, newToken, sha256Hex } from '../ids.ts';
import type { AccountRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { splitAccountValues } from './account-values.ts';
import type { AccountScope } from './account-scope.ts';
import { statusChange } from './account-events.ts';
import { type AccountsService, type AccountView, credentialsBinding, toView } from './accounts-service.ts';
import type { Actor } from '../actor.ts';

/** Checks submitted credentials with a test call before they are stored (connector `verify`, ext). */
export type CredentialVerifier = (input: {
  definition: ConnectorDefinition;
  pattern: AuthPattern;
  credentials: Record<string, string>;
  apiConfig: Record<string, string>;
}) => Promise<void>;

export interface LinkContext {
  sessionId: string;
  expiresAt: number;
  /** Where the app wants the browser after success (already checked against the allow-list). */
  redirectUrl: string | null;
  account: AccountRow;
  connection: LoadedConnection;
}

export const LINK_TOKEN_PREFIX = 'tpl_';

/**
 * Authorization links ("magic links", reference §3.5): single-use, expiring URLs to the hosted
 * page that collects a user's credentials. Only the SHA-256 of the link token is stored (S12).
 */
export class AuthorizationLinks {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #accounts: AccountsService;
  readonly #ttlMs: number;
  readonly #publicUrl: string;
  readonly #verifier: CredentialVerifier;
  readonly #allowedRedirectOrigins: readonly string[];
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    changes: ChangeFeed;
    accounts: AccountsService;
    linkTtlSeconds: number;
    publicUrl: string;
    verifier: CredentialVerifier;
    allowedRedirectOrigins?: readonly string[];
    /** The audit trail: credentials set through a hosted link (actor `hosted_link`). */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#accounts = deps.accounts;
    this.#ttlMs = deps.linkTtlSeconds * 1000;
    this.#publicUrl = deps.publicUrl;
    this.#verifier = deps.verifier;
    this.#allowedRedirectOrigins = deps.allowedRedirectOrigins ?? [];
    this.#audit = deps.audit;
  }

  /**
   * Gets or creates the account, then issues a fresh link for it. The account's earlier links
   * are retired in the same transaction: only the newest link can write its credentials.
   */
  async create(
    connectionName: string,
    identifier: string,
    options: { redirectUrl?: string | undefined; userVerifyUrl?: string | undefined } & AccountScope = {},
    actor?: Actor,
  ): Promise<{ link: string; expiry: string; account: AccountView }> {
    const redirectUrl = this.#allowedUrl('redirect_url', options.redirectUrl);
    const userVerifyUrl = this.#allowedUrl('user_verify_url', options.userVerifyUrl);
    const { account } = await this.#accounts.getOrCreate(connectionName, identifier, { organizationId: options.organizationId, userId: options.userId }, actor);
    const token = newToken(LINK_TOKEN_PREFIX);
    const now = this.#clock();
    const expiresAt = now + this.#ttlMs;
    const id = newId('as');
    await this.#store.transaction(async (repos) => {
      await repos.authorizationSessions.insert({
        id,
        token_hash: sha256Hex(token),
        account_id: account.id,
        expires_at: expiresAt,
        created_at: now,
        redirect_url: redirectUrl,
        user_verify_url: userVerifyUrl,
      });
      await repos.authorizationSessions.retireOutstanding(account.id, id, now);
    });
    return { link: `${this.#publicUrl}/connect/${token}`, expiry: new Date(expiresAt).toISOString(), account };
  }

  /** O7: we send browsers only to origins the operator allowed, compared exactly after parsing. */
  #allowedUrl(name: string, value: string | undefined): string | null {
    if (value === undefined) return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ToolproxyError('REDIRECT_URL_NOT_ALLOWED', { details: { field: name, reason: 'not an absolute URL' } });
    }
    if (value.length > 2048 || url.username !== '' || url.password !== '' || !this.#allowedRedirectOrigins.includes(url.origin)) {
      throw new ToolproxyError('REDIRECT_URL_NOT_ALLOWED', { details: { field: name } });
    }
    return url.href;
  }

  /** Resolves a link token; an unknown, expired or used link is a clear error, never a stack trace. */
  async open(token: string): Promise<LinkContext> {
    if (!token.startsWith(LINK_TOKEN_PREFIX) || token.length > 128) throw new ToolproxyError('LINK_INVALID');
    const session = await this.#store.authorizationSessions.findByTokenHash(sha256Hex(token));
    if (!session) throw new ToolproxyError('LINK_INVALID');
    if (session.superseded_at !== null) throw new ToolproxyError('LINK_SUPERSEDED');
    if (session.used_at !== null) throw new ToolproxyError('LINK_USED');
    if (session.expires_at <= this.#clock()) throw new ToolproxyError('LINK_EXPIRED');
    const { row, connection } = await this.#accounts.load({ id: session.account_id });
    return { sessionId: session.id, expiresAt: session.expires_at, redirectUrl: session.redirect_url, account: row, connection };
  }

  async #whyUnusable(sessionId: string, expiresAt: number, now: number): Promise<ToolproxyError> {
    if (expiresAt <= now) return new ToolproxyError('LINK_EXPIRED');
    const session = await this.#store.authorizationSessions.findById(sessionId);
    return new ToolproxyError(session?.superseded_at != null ? 'LINK_SUPERSEDED' : 'LINK_USED');
  }

  /**
   * Stores what the user submitted: validate → optional test call → one transaction that consumes
   * the link and writes the encrypted credentials with status ACTIVE. A failure at any step
   * leaves the link usable and the account as it was.
   */
  async submit(token: string, values: Record<string, unknown>): Promise<{ account: AccountView; redirectUrl: string | null }> {
    const context = await this.open(token);
    const { account, connection } = context;
    const { definition, pattern } = connection.connector;
    const split = splitAccountValues(definition, pattern, values);
    await this.#verifier({ definition, pattern, credentials: split.credentials, apiConfig: split.apiConfig });

    const credentials = this.#vault.encryptJson(split.credentials, credentialsBinding(account.id));
    const updated = await this.#store.transaction(async (repos) => {
      const now = this.#clock();
      if (!(await repos.authorizationSessions.consume(context.sessionId, now))) {
        // Someone submitted the same link a moment earlier, a newer link retired it, or it just expired.
        throw await this.#whyUnusable(context.sessionId, context.expiresAt, now);
      }
      await repos.authorizationSessions.retireOutstanding(account.id, context.sessionId, now);
      const written = await repos.accounts.writeCredentials(account.id, account.credentials_version, {
        credentials,
        api_config: JSON.stringify(split.apiConfig),
        status: 'ACTIVE',
        token_expires_at: null,
        now,
      });
      if (!written) throw new ToolproxyError('LINK_USED', { message: 'The account changed while this form was open. Ask for a new link.' });
      const view = toView(written, connection);
      const event = statusChange(account.status, view, now, { type: 'hosted_link', id: context.sessionId });
      if (event) await this.#accounts.record(repos, event);
      return { view, event };
    });
    this.#changes.accountChanged(connection.row.name, account.identifier);
    this.#audit?.record({ action: 'credentials.set', actor: { type: 'hosted_link', id: context.sessionId }, target: { type: 'connected_account', id: account.id }, details: { connection: connection.row.name, via: 'hosted_link' } });
    if (updated.event) this.#accounts.announce(updated.event);
    return { account: updated.view, redirectUrl: context.redirectUrl };
  }
}
