import type { AuditRecorder } from '../audit/audit-entry.ts';
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from '../auth/oauth/oauth-client.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { LoadedConnection } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import { sha256Hex } from '../ids.ts';
import type { AuthorizationSessionRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { splitAccountValues } from './account-values.ts';
import { type AccountsService, type AccountView, credentialsBinding, toView } from './accounts-service.ts';
import type { LinkContext } from './authorization-links.ts';

/** The browser-binding cookie of one flow (O2): set when the flow starts, required at the callback. */
export function flowCookieName(sessionId: string): string {
  return `tp_oauth_${sessionId}`;
}

export interface FlowStart {
  location: string;
  cookie: { name: string; value: string; maxAgeSeconds: number };
}

export interface FlowResult {
  account: AccountView;
  /** Where to send the browser next (the app's verify page or its return URL), if anywhere. */
  redirect?: string | undefined;
  cookieName: string;
}

function verifierBinding(sessionId: string): SecretBinding {
  return { table: 'authorization_sessions', rowId: sessionId, column: 'pkce_verifier' };
}

/**
 * The OAuth 2.0 authorization code flow behind an authorization link (RFC 6749 §4.1, RFC 9700
 * §2.1): PKCE S256, a single-use state bound to the browser and to one session (hence one
 * connection and identifier, O3), exact per-connection redirect URI, `iss` checked where the
 * connector names its issuer (RFC 9207). The account is written once, in one transaction.
 */
export class OAuthFlow {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #accounts: AccountsService;
  readonly #clientFor: (connection: LoadedConnection) => OAuthClient;
  readonly #verifyWindowMs: number;
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    changes: ChangeFeed;
    accounts: AccountsService;
    clientFor: (connection: LoadedConnection) => OAuthClient;
    verifyWindowMs: number;
    /** The audit trail: tokens stored after the user authorized (actor `hosted_link`). */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#accounts = deps.accounts;
    this.#clientFor = deps.clientFor;
    this.#verifyWindowMs = deps.verifyWindowMs;
    this.#audit = deps.audit;
  }

  /**
   * Starts (or restarts) the flow of a link the caller has just opened (`AuthorizationLinks.open`):
   * a fresh state and verifier replace any earlier ones. A link used or expired since is refused.
   */
  async start(context: LinkContext, accountFields: Record<string, unknown>): Promise<FlowStart> {
    const { definition, pattern } = context.connection.connector;
    const { apiConfig } = splitAccountValues(definition, pattern, accountFields);
    const client = this.#clientFor(context.connection);
    const state = randomBytes(32).toString('base64url'); // 256 bits (O2)
    const browserNonce = randomBytes(32).toString('base64url');
    const verifier = client.usesPkce ? oauth.generateRandomCodeVerifier() : null;
    const started = await this.#store.authorizationSessions.startOAuthFlow(
      context.sessionId,
      {
        oauth_state_hash: sha256Hex(state),
        browser_binding_hash: sha256Hex(browserNonce),
        pkce_verifier: verifier === null ? null : this.#vault.encrypt(verifier, verifierBinding(context.sessionId)),
        pending_api_config: JSON.stringify(apiConfig),
      },
      this.#clock(),
    );
    if (!started) {
      const session = await this.#store.authorizationSessions.findById(context.sessionId);
      throw new ToolproxyError(session?.superseded_at != null ? 'LINK_SUPERSEDED' : session?.used_at != null ? 'LINK_USED' : 'LINK_EXPIRED');
    }
    return {
      location: await client.authorizationUrl(state, verifier),
      cookie: {
        name: flowCookieName(context.sessionId),
        value: browserNonce,
        maxAgeSeconds: Math.max(1, Math.ceil((context.expiresAt - this.#clock()) / 1000)),
      },
    };
  }

  /** The redirect back from the provider. Every check runs before the code is spent. */
  async callback(connectionName: string, query: URLSearchParams, cookies: Readonly<Record<string, string>>): Promise<FlowResult> {
    const state = query.get('state');
    if (!state || state.length > 512) throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: 'missing state' } });
    const stateHash = sha256Hex(state);
    const session = await this.#store.authorizationSessions.findByStateHash(stateHash);
    if (!session) throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: 'unknown or used state' } });
    const cookieName = flowCookieName(session.id);
    const { row: account, connection } = await this.#accounts.load({ id: session.account_id });
    // O3: everything comes from the stored session; the URL only has to agree with it.
    if (connection.row.name !== connectionName) throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: 'state of another connection' } });
    const nonce = cookies[cookieName];
    if (!nonce || !session.browser_binding_hash || sha256Hex(nonce) !== session.browser_binding_hash) {
      // Checked before the state is spent, so a forged callback cannot burn the user's flow.
      throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: 'the flow was started in another browser' } });
    }
    if (!(await this.#store.authorizationSessions.takeState(session.id, stateHash, this.#clock()))) {
      throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: 'used or expired state' } });
    }

    const client = this.#clientFor(connection);
    const params = client.validateCallback(query, state);
    const verifier = session.pkce_verifier ? this.#vault.decrypt(session.pkce_verifier, verifierBinding(session.id)) : null;
    const tokens = await client.exchangeCode(params, verifier);

    const credentials = this.#vault.encryptJson(tokens.credentials, credentialsBinding(account.id));
    const status = session.user_verify_url ? 'PENDING_VERIFICATION' : 'ACTIVE';
    const written = await this.#store.transaction(async (repos) => {
      const now = this.#clock();
      if (!(await repos.authorizationSessions.consume(session.id, now))) throw new ToolproxyError('LINK_USED');
      // One completed link retires the account's others (a newer link issued meanwhile included).
      await repos.authorizationSessions.retireOutstanding(account.id, session.id, now);
      const updated = await repos.accounts.writeCredentials(account.id, account.credentials_version, {
        credentials,
        api_config: session.pending_api_config ?? '{}',
        status,
        token_expires_at: tokens.expiresAt,
        granted_scopes: tokens.scope,
        now,
      });
      if (!updated) throw new ToolproxyError('LINK_USED', { message: 'The account changed during authorization. Ask for a new link.' });
      return updated;
    });
    this.#changes.accountChanged(connection.row.name, account.identifier);
    this.#audit?.record({ action: 'credentials.set', actor: { type: 'hosted_link', id: session.id }, target: { type: 'connected_account', id: account.id }, details: { connection: connection.row.name, via: 'oauth', status } });
    return { account: toView(written, connection), redirect: await this.#nextStop(session), cookieName };
  }

  /**
   * Reference §3.5 user verification: the app confirms, from its own session, that the user who
   * authorized is the one the link was for. Only then does the account become ACTIVE.
   */
  async verifyUser(authRequestId: string, identifier: string): Promise<{ account: AccountView; redirectUrl: string | null }> {
    const session = await this.#store.authorizationSessions.findByAuthRequestHash(sha256Hex(authRequestId));
    const now = this.#clock();
    if (!session || session.used_at === null || now - session.used_at > this.#verifyWindowMs) throw new ToolproxyError('AUTH_REQUEST_NOT_FOUND');
    const { row, connection } = await this.#accounts.load({ id: session.account_id });
    if (row.identifier !== identifier) throw new ToolproxyError('USER_VERIFICATION_MISMATCH');
    if (!(await this.#store.authorizationSessions.completeVerification(session.id, now))) throw new ToolproxyError('AUTH_REQUEST_NOT_FOUND');
    const updated = row.status === 'PENDING_VERIFICATION' ? await this.#store.accounts.setStatus(row.id, 'ACTIVE', now) : row;
    if (!updated) throw new ToolproxyError('ACCOUNT_NOT_FOUND');
    this.#changes.accountChanged(connection.row.name, row.identifier);
    return { account: toView(updated, connection), redirectUrl: session.redirect_url };
  }

  async #nextStop(session: AuthorizationSessionRow): Promise<string | undefined> {
    if (session.user_verify_url) {
      const authRequestId = randomBytes(32).toString('base64url');
      await this.#store.authorizationSessions.setAuthRequest(session.id, sha256Hex(authRequestId));
      const url = new URL(session.user_verify_url);
      url.searchParams.set('auth_request_id', authRequestId);
      return url.href;
    }
    return session.redirect_url ?? undefined;
  }
}
