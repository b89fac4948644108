import type { TokenRefresher } from '../../accounts/token-refresher.ts';
import { isExpiring } from '../../auth/oauth/token-set.ts';
import type { Clock } from '../../clock.ts';
import { ToolproxyError } from '../../errors.ts';
import type { AccountResolver, ResolvedAccount } from '../account-resolver.ts';
import type { Call } from '../call.ts';
import { forwardableRequestHeaders } from '../header-policy.ts';
import type { PipelineStep } from '../pipeline.ts';
import { withInjectedQuery } from '../url-join.ts';
import { useAccount } from './resolve.ts';

export interface InjectDeps {
  resolver: AccountResolver;
  refresher?: TokenRefresher | undefined;
  /** TOOLPROXY_OAUTH_REFRESH_WINDOW_MS: how long before expiry an access token is refreshed. */
  refreshWindowMs: number;
  clock: Clock;
  /** Sent when the caller sends none: some APIs (GitHub) refuse a request without one. */
  userAgent?: string | undefined;
}

/**
 * The credentials, fresh, and the headers that go upstream. OAUTH accounts are refreshed ahead
 * of expiry (DESIGN.md §7, single-flight in TokenRefresher); then the caller's headers pass the
 * header policy (P5, P6), the connector's static headers fill in what the caller did not send,
 * and the credentials go in last, so they cannot be overridden (P7).
 */
export class InjectStep implements PipelineStep {
  readonly name = 'inject';
  readonly #resolver: AccountResolver;
  readonly #refresher: TokenRefresher | undefined;
  readonly #refreshWindowMs: number;
  readonly #clock: Clock;
  readonly #userAgent: string | undefined;

  constructor(deps: InjectDeps) {
    this.#resolver = deps.resolver;
    this.#refresher = deps.refresher;
    this.#refreshWindowMs = deps.refreshWindowMs;
    this.#clock = deps.clock;
    this.#userAgent = deps.userAgent;
  }

  run(call: Call): void | Promise<void> {
    const account = call.account!;
    const oauth = account.oauth;
    if (oauth !== undefined && this.#refresher !== undefined && account.status === 'ACTIVE'
      && isExpiring({ obtained_at: oauth.obtainedAt }, oauth.expiresAt, this.#clock(), this.#refreshWindowMs)) {
      return this.#refreshAhead(call);
    }
    this.#inject(call);
  }

  /** Whether a rejected access token can be replaced (the forward step's one retry after a 401, O13). */
  get canRenew(): boolean {
    return this.#refresher !== undefined;
  }

  /** After the upstream refused the token: refresh it (once for every call that saw it refused) and inject again. */
  async renewAfterRejection(call: Call): Promise<void> {
    const account = call.account!;
    useAccount(call, await this.#refreshed(account, account.oauth?.accessToken));
    this.#inject(call);
  }

  async #refreshAhead(call: Call): Promise<void> {
    const account = call.account!;
    try {
      useAccount(call, await this.#refreshed(account));
    } catch (error) {
      // A token that has not expired yet still works while the provider is down (O12).
      const expiresAt = account.oauth!.expiresAt;
      const transient = error instanceof ToolproxyError && error.code === 'OAUTH_PROVIDER_UNAVAILABLE';
      if (!transient || expiresAt === null || expiresAt <= this.#clock()) throw error;
    }
    this.#inject(call);
  }

  async #refreshed(account: ResolvedAccount, rejectedAccessToken?: string): Promise<ResolvedAccount> {
    const target = { accountId: account.accountId, connectionName: account.connectionName, identifier: account.identifier };
    await this.#refresher!.ensureFresh(target, rejectedAccessToken);
    // The refresher announced the change, which dropped the cached entry: this re-reads it.
    return this.#resolver.peek(account.connectionName, account.identifier) ?? this.#resolver.resolve(account.connectionName, account.identifier);
  }

  #inject(call: Call): void {
    const account = call.account!;
    const request = call.request;
    const headers = forwardableRequestHeaders(request.headers, account.droppedHeaders);
    const defaults = account.defaultHeaders;
    for (const name in defaults) if (headers[name] === undefined) headers[name] = defaults[name]!;
    if (this.#userAgent !== undefined && headers['user-agent'] === undefined) headers['user-agent'] = this.#userAgent;
    // The header policy drops the caller's framing; a streamed body keeps its declared length.
    const length = request.headers['content-length'];
    if (request.body !== null && typeof length === 'string' && /^\d+$/.test(length)) headers['content-length'] = length;
    Object.assign(headers, account.injectedHeaders);
    call.headers = headers;
    call.path = withInjectedQuery(call.joinedPath, account.injectedQuery);
  }
}
