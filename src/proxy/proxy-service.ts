import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ToolproxyError } from '../errors.ts';
import type { AccountResolver, ResolvedAccount } from './account-resolver.ts';
import type { Forwarder } from './forwarder.ts';
import { forwardableRequestHeaders } from './header-policy.ts';
import type { UsageRecorder } from './usage-recorder.ts';
import type { TokenRefresher } from '../accounts/token-refresher.ts';
import { isExpiring } from '../auth/oauth/token-set.ts';
import { joinUpstreamUrl, withInjectedQuery, type UpstreamTarget } from './url-join.ts';

export interface ProxyCall {
  method: string;
  /** The raw request target after `/proxy` (path and query, not decoded). */
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Readable | null;
  signal?: AbortSignal | undefined;
}

export interface ProxyResult {
  account: ResolvedAccount;
  response: Dispatcher.ResponseData;
}

/** P18: the methods that make sense for an API call; CONNECT and TRACE never do. */
const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The Tool Proxy: resolve the account → refuse what may not pass → join the URL → apply the
 * header policy → inject credentials last → forward. The response comes back untouched.
 */
export class ProxyService {
  readonly #resolver: AccountResolver;
  readonly #forwarder: Forwarder;
  readonly #usage: UsageRecorder;
  readonly #refresher: TokenRefresher | undefined;
  readonly #refreshWindowMs: number;
  readonly #clock: () => number;
  readonly #userAgent: string | undefined;

  constructor(deps: {
    resolver: AccountResolver;
    forwarder: Forwarder;
    usage: UsageRecorder;
    refresher?: TokenRefresher;
    refreshWindowMs?: number;
    clock?: () => number;
    /** Sent when the caller sends no User-Agent: some APIs (GitHub) refuse a request without one. */
    userAgent?: string;
  }) {
    this.#resolver = deps.resolver;
    this.#forwarder = deps.forwarder;
    this.#usage = deps.usage;
    this.#refresher = deps.refresher;
    this.#refreshWindowMs = deps.refreshWindowMs ?? 300_000;
    this.#clock = deps.clock ?? Date.now;
    this.#userAgent = deps.userAgent;
  }

  async forward(call: ProxyCall): Promise<ProxyResult> {
    if (!METHODS.has(call.method)) throw new ToolproxyError('INVALID_METHOD', { details: { method: call.method } });
    const { connectionName, identifier } = routingOf(call.headers);
    const account = this.#resolver.peek(connectionName, identifier) ?? (await this.#resolver.resolve(connectionName, identifier));
    if (account.oauth) return this.#forwardOAuth(call, account);

    const response = await this.#send(call, account, call.body);
    this.#usage.mark(account);
    return { account, response };
  }

  /**
   * OAUTH accounts: refresh ahead of expiry (DESIGN §7), and on an upstream 401 refresh once and
   * retry once (O13). A retry needs the body again, so small bodies are held in memory; a large
   * or unsized body gets no retry (the 401 goes back, the next call uses the new token).
   */
  async #forwardOAuth(call: ProxyCall, resolved: ResolvedAccount): Promise<ProxyResult> {
    let account = resolved;
    const oauth = account.oauth!;
    const now = this.#clock();
    if (account.status === 'ACTIVE' && isExpiring({ obtained_at: oauth.obtainedAt }, oauth.expiresAt, now, this.#refreshWindowMs)) {
      try {
        account = await this.#refreshed(account);
      } catch (error) {
        // A token that has not expired yet still works while the provider is down (O12).
        const transient = error instanceof ToolproxyError && error.code === 'OAUTH_PROVIDER_UNAVAILABLE';
        if (!transient || oauth.expiresAt === null || oauth.expiresAt <= now) throw error;
      }
    }
    const body = await replayableBody(call);
    let response = await this.#send(call, account, body.first);
    if (response.statusCode === 401 && body.replay !== undefined && account.oauth) {
      await response.body.dump();
      account = await this.#refreshed(account, account.oauth.accessToken);
      response = await this.#send(call, account, body.replay());
    }
    this.#usage.mark(account);
    return { account, response };
  }

  async #refreshed(account: ResolvedAccount, rejectedAccessToken?: string): Promise<ResolvedAccount> {
    if (!this.#refresher) return account;
    const target = { accountId: account.accountId, connectionName: account.connectionName, identifier: account.identifier };
    await this.#refresher.ensureFresh(target, rejectedAccessToken);
    // The refresher announced the change, which dropped the cached entry: this re-reads it.
    return this.#resolver.peek(account.connectionName, account.identifier) ?? this.#resolver.resolve(account.connectionName, account.identifier);
  }

  #send(call: ProxyCall, account: ResolvedAccount, body: Readable | Buffer | null): Promise<Dispatcher.ResponseData> {
    const target = usableTarget(account);
    const url = joinUpstreamUrl(target, call.pathAndQuery);
    const path = withInjectedQuery(url.slice(target.origin.length), account.injectedQuery);
    const headers = forwardableRequestHeaders(call.headers, account.droppedHeaders);
    for (const name in account.defaultHeaders) if (headers[name] === undefined) headers[name] = account.defaultHeaders[name]!;
    if (this.#userAgent !== undefined && headers['user-agent'] === undefined) headers['user-agent'] = this.#userAgent;
    const length = call.headers['content-length'];
    if (body && length !== undefined && /^\d+$/.test(length)) headers['content-length'] = length;
    Object.assign(headers, account.injectedHeaders);
    return this.#forwarder.send({
      origin: target.origin,
      path,
      method: call.method as Dispatcher.HttpMethod,
      headers,
      body,
      signal: call.signal,
    });
  }
}

/** Bodies up to this size are kept so an OAuth call can be retried once after a refresh. */
const REPLAYABLE_BODY_BYTES = 1024 * 1024;

async function replayableBody(call: ProxyCall): Promise<{ first: Readable | Buffer | null; replay?: () => Buffer | null }> {
  if (!call.body) return { first: null, replay: () => null };
  const length = Number(call.headers['content-length']);
  if (!Number.isInteger(length) || length > REPLAYABLE_BODY_BYTES) return { first: call.body };
  const chunks: Buffer[] = [];
  for await (const chunk of call.body) chunks.push(chunk as Buffer);
  const buffered = Buffer.concat(chunks);
  return { first: buffered, replay: () => buffered };
}

/** Reference §4.1 headers, plus the dash form that proxies which drop underscores keep. */
function routingOf(headers: IncomingHttpHeaders): { connectionName: string; identifier: string } {
  const connectionName = headers.connection_name ?? headers['connection-name'];
  const identifier = headers.identifier;
  if (typeof connectionName !== 'string' || connectionName === '' || typeof identifier !== 'string' || identifier === '') {
    throw new ToolproxyError('MISSING_ROUTING_HEADERS');
  }
  return { connectionName, identifier };
}

function usableTarget(account: ResolvedAccount): UpstreamTarget {
  if (!account.connectionEnabled) throw new ToolproxyError('CONNECTION_DISABLED', { details: { connection_name: account.connectionName } });
  if (!account.proxyEnabled) throw new ToolproxyError('PROXY_DISABLED');
  if (account.status === 'EXPIRED') {
    throw new ToolproxyError('ACCOUNT_EXPIRED', { details: { status: account.status, connection_name: account.connectionName, identifier: account.identifier } });
  }
  if (account.status === 'DISCONNECTED') {
    throw new ToolproxyError('ACCOUNT_DISCONNECTED', { details: { status: account.status, connection_name: account.connectionName, identifier: account.identifier } });
  }
  if (account.status !== 'ACTIVE' || !account.target) {
    throw new ToolproxyError('ACCOUNT_NOT_ACTIVE', {
      details: {
        status: account.status,
        connection_name: account.connectionName,
        identifier: account.identifier,
        authorization_link: 'POST /api/v1/connected_accounts/magic_link',
      },
    });
  }
  return account.target;
}
