import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ToolproxyError } from '../errors.ts';
import type { AccountResolver, ResolvedAccount } from './account-resolver.ts';
import type { Forwarder } from './forwarder.ts';
import { forwardableRequestHeaders } from './header-policy.ts';
import type { UsageRecorder } from './usage-recorder.ts';
import { joinUpstreamUrl } from './url-join.ts';

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

  constructor(deps: { resolver: AccountResolver; forwarder: Forwarder; usage: UsageRecorder }) {
    this.#resolver = deps.resolver;
    this.#forwarder = deps.forwarder;
    this.#usage = deps.usage;
  }

  async forward(call: ProxyCall): Promise<ProxyResult> {
    if (!METHODS.has(call.method)) throw new ToolproxyError('INVALID_METHOD', { details: { method: call.method } });
    const { connectionName, identifier } = routingOf(call.headers);
    const account = this.#resolver.peek(connectionName, identifier) ?? (await this.#resolver.resolve(connectionName, identifier));
    const upstream = usableUpstream(account);

    const url = joinUpstreamUrl(upstream.target, call.pathAndQuery);
    const path = withInjectedQuery(url.slice(upstream.target.origin.length), upstream.injection.query);
    const headers = forwardableRequestHeaders(call.headers, upstream.droppedHeaders);
    const length = call.headers['content-length'];
    if (call.body && length !== undefined && /^\d+$/.test(length)) headers['content-length'] = length;
    Object.assign(headers, upstream.injection.headers);

    const response = await this.#forwarder.send({
      origin: upstream.target.origin,
      path,
      method: call.method as Dispatcher.HttpMethod,
      headers,
      body: call.body,
      signal: call.signal,
    });
    this.#usage.mark(account.accountId);
    return { account, response };
  }
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

function usableUpstream(account: ResolvedAccount): NonNullable<ResolvedAccount['upstream']> {
  if (!account.connectionEnabled) throw new ToolproxyError('CONNECTION_DISABLED', { details: { connection_name: account.connectionName } });
  if (!account.proxyEnabled) throw new ToolproxyError('PROXY_DISABLED');
  if (account.status !== 'ACTIVE' || !account.upstream) {
    throw new ToolproxyError('ACCOUNT_NOT_ACTIVE', {
      details: {
        status: account.status,
        connection_name: account.connectionName,
        identifier: account.identifier,
        authorization_link: 'POST /api/v1/connected_accounts/magic_link',
      },
    });
  }
  return account.upstream;
}

/** Query-placed credentials (ext) replace any same-named caller parameter (P7). */
function withInjectedQuery(path: string, query: Record<string, string>): string {
  const names = Object.keys(query);
  if (names.length === 0) return path;
  const mark = path.indexOf('?');
  const base = mark < 0 ? path : path.slice(0, mark);
  const kept = mark < 0 ? [] : path.slice(mark + 1).split('&').filter((pair) => {
    const name = safeDecode(pair.split('=')[0] ?? '');
    return pair !== '' && !names.includes(name);
  });
  const injected = names.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(query[name] as string)}`);
  return `${base}?${[...kept, ...injected].join('&')}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
