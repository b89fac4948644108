import { type AccountScope, accountKey, accountPath, scopeBody, scopeQuery } from './account-args.ts';
import { runCall } from './call.ts';
import { apiErrorFrom, UpstreamHttpError } from './errors.ts';
import { executeTool, type ExecuteToolOptions } from './execute-tool.ts';
import { encodeProxyRequest, type RequestOptions } from './proxy-request.ts';
import { decodeBody, ProxyResponse } from './proxy-response.ts';
import type { ToolExecution } from './tool-types.ts';
import type { CallOptions, Transport } from './transport.ts';
import {
  type AccountRef,
  type AccountStatus,
  type AuthorizationDetails,
  type ConnectedAccount,
  type Connection,
  toConnectedAccount,
  toConnection,
  toWireDetails,
} from './types.ts';

export type { AccountScope } from './account-args.ts';

export interface AccountKey extends CallOptions, AccountScope {
  connectionName: string;
  /** Your id for the user, exactly as you route calls with it: no surrounding whitespace. */
  identifier: string;
}

export interface AuthorizationLinkOptions extends AccountKey {
  /** Where the browser goes after success; its origin must be in TOOLPROXY_ALLOWED_REDIRECT_ORIGINS. */
  redirectUrl?: string;
  /**
   * OAUTH: your page that confirms who authorized. The browser is sent there with an
   * `auth_request_id`; the account stays PENDING_VERIFICATION until `verifyConnectedAccountUser`.
   */
  userVerifyUrl?: string;
}

export interface ListConnectedAccountsOptions extends CallOptions, AccountScope {
  connectionName?: string;
  /** Only accounts of connections on this connector (identifier or id). */
  connector?: string;
  identifier?: string;
  status?: AccountStatus;
  /** 1–100, default 50. */
  pageSize?: number;
  /** `nextPageToken` of the previous page. */
  pageToken?: string;
}

export interface SearchConnectedAccountsOptions extends CallOptions, AccountScope {
  /** At least 3 characters: a case-insensitive part of the identifier, connection name or connector. */
  query: string;
  connectionName?: string;
  pageSize?: number;
  pageToken?: string;
}

/** One page of accounts; `totalSize` counts every page. */
export interface ConnectedAccountPage {
  connectedAccounts: ConnectedAccount[];
  nextPageToken: string | null;
  totalSize: number;
}

export interface ListConnectionsOptions extends CallOptions {
  /** Only connections of this connector (identifier or id). */
  connector?: string;
  pageSize?: number;
  pageToken?: string;
}

/**
 * The calls an application makes for its users, shaped like the reference SDK's `actions`:
 * authorization links, connected accounts and the Tool Proxy.
 */
export class Actions {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * A single-use, expiring link to the hosted authorization page for this user. Creates the
   * connected account (PENDING_AUTH) if it does not exist yet.
   *
   * @example
   * const { link } = await client.actions.getAuthorizationLink({ connectionName: 'acme', identifier: 'user_123' });
   */
  async getAuthorizationLink(options: AuthorizationLinkOptions): Promise<{ link: string; expiry: Date; connectedAccount: ConnectedAccount }> {
    const key = accountKey(options, 'getAuthorizationLink');
    const body = await this.#transport.json<{ link: string; expiry: string; connected_account: object }>('POST', '/api/v1/connected_accounts/magic_link', {
      ...options,
      body: {
        connection_name: key.connectionName,
        identifier: key.identifier,
        ...scopeBody(options),
        ...(options.redirectUrl ? { redirect_url: options.redirectUrl } : {}),
        ...(options.userVerifyUrl ? { user_verify_url: options.userVerifyUrl } : {}),
      },
    });
    return { link: body.link, expiry: new Date(body.expiry), connectedAccount: toConnectedAccount(body.connected_account) };
  }

  /**
   * Confirms which of your users authorized (after a link made with `userVerifyUrl`): the
   * account becomes ACTIVE. `authRequestId` is the query parameter your page received.
   */
  async verifyConnectedAccountUser(
    options: { authRequestId: string; identifier: string } & CallOptions,
  ): Promise<{ connectedAccount: ConnectedAccount | null; postUserVerifyRedirectUrl: string | null }> {
    const body = await this.#transport.json<{ connected_account?: object; post_user_verify_redirect_url: string | null }>('POST', '/api/v1/connected_accounts/user/verify', {
      ...options,
      body: { auth_request_id: options.authRequestId, identifier: options.identifier },
    });
    // An MCP client's authorization (auth_request_id `tpmar_…`) has no account: the user goes on to its consent page.
    return { connectedAccount: body.connected_account ? toConnectedAccount(body.connected_account) : null, postUserVerifyRedirectUrl: body.post_user_verify_redirect_url ?? null };
  }

  /**
   * Calls the upstream API as this user through the Tool Proxy: `path` is relative to the
   * connector's `proxy_url`, the user's credentials are injected by the server.
   *
   * Resolves with the upstream status, headers and body **whatever the status**: a 404 or 500
   * from the upstream API is data, not a failure of the call (pass `throwOnError: true` to get an
   * `UpstreamHttpError` instead, as the reference SDK does). Refusals of our own, such as
   * `ACCOUNT_NOT_ACTIVE`, always throw `ToolproxyApiError` — they carry `x-toolproxy-error`, so
   * they are never confused with the upstream's answers.
   *
   * @example
   * const result = await client.actions.request({
   *   connectionName: 'acme', identifier: 'user_123', path: '/v1/customers', queryParams: { limit: 3 },
   * });
   * if (result.status === 200) console.log(result.body);
   */
  async request<T = unknown>(options: RequestOptions): Promise<ProxyResponse<T>> {
    accountKey(options, 'request');
    const encoded = encodeProxyRequest(options);
    const context = this.#transport.context(options);
    const response = await runCall(context, async (signal) => {
      const raw = await this.#transport.send(
        `/proxy${encoded.pathAndQuery}`,
        { method: encoded.method, headers: encoded.headers, body: encoded.body, replayable: encoded.replayable },
        context,
        signal,
      );
      if (raw.headers.has('x-toolproxy-error')) {
        const text = await raw.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        throw apiErrorFrom(raw.status, body);
      }
      const body = await decodeBody(raw, options.responseType ?? 'auto');
      return new ProxyResponse(raw.status, raw.statusText, raw.headers, body as T);
    });
    if (options.throwOnError && !response.ok) throw new UpstreamHttpError(response);
    return response;
  }

  /**
   * Runs a tool as this user: the input is checked against the tool's `input_schema` and the
   * request built from its template goes through the Tool Proxy with the user's credentials.
   * Resolves with the tool's output (`data`) and the run's `executionId`; a refusal or an
   * upstream failure throws a `ToolExecutionError` (`ToolUnauthorizedError` on 401,
   * `ToolForbiddenError` on 403, `ToolRateLimitError` on 429), with `code` and, for bad input,
   * every problem in `problems`. Default timeout 60 s.
   *
   * @example
   * const { data } = await client.actions.executeTool({
   *   toolName: 'github_issue_create', identifier: 'user_123', connector: 'github',
   *   toolInput: { owner: 'octo', repo: 'hello', title: 'Found a bug' },
   * });
   */
  executeTool<T = unknown>(options: ExecuteToolOptions): Promise<ToolExecution<T>> {
    return executeTool<T>(this.#transport, options);
  }

  /** The user's connected account, created PENDING_AUTH if absent — atomically on the server. */
  async getOrCreateConnectedAccount(
    options: AccountKey & { authorizationDetails?: AuthorizationDetails },
  ): Promise<{ connectedAccount: ConnectedAccount; created: boolean }> {
    const key = accountKey(options, 'getOrCreateConnectedAccount');
    const body = await this.#transport.json<{ connected_account: object; created: boolean }>('POST', '/api/v1/connected_accounts/get_or_create', {
      ...options,
      body: { connection_name: key.connectionName, identifier: key.identifier, ...scopeBody(options) },
    });
    if (options.authorizationDetails) {
      // As the reference does: details given to get-or-create replace the stored credentials.
      const { connectedAccount } = await this.updateConnectedAccount({ ...options, authorizationDetails: options.authorizationDetails });
      return { connectedAccount, created: body.created };
    }
    return { connectedAccount: toConnectedAccount(body.connected_account), created: body.created };
  }

  /**
   * One connected account, by id or by connection name and identifier (with `organizationId` /
   * `userId`, only if it has those). Credentials are never returned.
   */
  async getConnectedAccount(ref: AccountRef & AccountScope & CallOptions): Promise<{ connectedAccount: ConnectedAccount }> {
    const body = await this.#transport.json<{ connected_account: object }>('GET', accountPath(ref), { ...ref, query: scopeQuery(ref) });
    return { connectedAccount: toConnectedAccount(body.connected_account) };
  }

  /** One page of connected accounts; pass `nextPageToken` back as `pageToken` for the next. */
  async listConnectedAccounts(options: ListConnectedAccountsOptions = {}): Promise<ConnectedAccountPage> {
    return this.#page('/api/v1/connected_accounts', options, {
      connection_name: options.connectionName?.trim(),
      connector: options.connector,
      identifier: options.identifier,
      status: options.status,
    });
  }

  /**
   * Accounts whose identifier, connection name or connector contains `query` (case-insensitive,
   * at least 3 characters), one page at a time.
   *
   * @example
   * const { connectedAccounts, totalSize } = await client.actions.searchConnectedAccounts({ query: '@example.com' });
   */
  async searchConnectedAccounts(options: SearchConnectedAccountsOptions): Promise<ConnectedAccountPage> {
    return this.#page('/api/v1/connected_accounts/search', options, { query: options.query, connection_name: options.connectionName?.trim() });
  }

  async #page(path: string, options: CallOptions & AccountScope & { pageSize?: number; pageToken?: string }, filter: Record<string, string | undefined>): Promise<ConnectedAccountPage> {
    const body = await this.#transport.json<{ connected_accounts: object[]; next_page_token: string | null; total_size: number }>('GET', path, {
      ...options,
      query: { ...filter, ...scopeQuery(options), page_size: options.pageSize, page_token: options.pageToken },
    });
    return { connectedAccounts: body.connected_accounts.map(toConnectedAccount), nextPageToken: body.next_page_token, totalSize: body.total_size };
  }

  /**
   * Creates a connected account. With `authorizationDetails` (credentials your application
   * already holds) it is ACTIVE at once; without, it waits for the user (PENDING_AUTH) and an
   * existing account is an `ACCOUNT_EXISTS` error.
   */
  async createConnectedAccount(
    options: AccountKey & { authorizationDetails?: AuthorizationDetails },
  ): Promise<{ connectedAccount: ConnectedAccount }> {
    const key = accountKey(options, 'createConnectedAccount');
    const body = await this.#transport.json<{ connected_account: object }>('POST', '/api/v1/connected_accounts', {
      ...options,
      body: {
        connection_name: key.connectionName,
        identifier: key.identifier,
        ...scopeBody(options),
        ...(options.authorizationDetails ? { authorization_details: toWireDetails(options.authorizationDetails) } : {}),
      },
    });
    return { connectedAccount: toConnectedAccount(body.connected_account) };
  }

  /** Replaces the account's credentials (and per-account fields); it becomes ACTIVE (a DISCONNECTED one is connected again). */
  async updateConnectedAccount(
    options: AccountRef & AccountScope & CallOptions & { authorizationDetails: AuthorizationDetails },
  ): Promise<{ connectedAccount: ConnectedAccount }> {
    const body = await this.#transport.json<{ connected_account: object }>('PATCH', accountPath(options), {
      ...options,
      query: scopeQuery(options),
      body: { authorization_details: toWireDetails(options.authorizationDetails) },
    });
    return { connectedAccount: toConnectedAccount(body.connected_account) };
  }

  /** Deletes the account and its stored credentials; an OAuth grant is revoked at the provider. */
  async deleteConnectedAccount(ref: AccountRef & AccountScope & CallOptions): Promise<void> {
    await this.#transport.json('DELETE', accountPath(ref), { ...ref, query: scopeQuery(ref) });
  }

  /**
   * Disconnects the account: its credentials are deleted and an OAuth grant revoked at the
   * provider; the account stays, `DISCONNECTED` (proxy calls get `ACCOUNT_DISCONNECTED`), until
   * a new authorization link connects it again.
   *
   * @example
   * await client.actions.disconnectConnectedAccount({ connectionName: 'acme', identifier: 'user_123' });
   */
  async disconnectConnectedAccount(ref: AccountRef & AccountScope & CallOptions): Promise<{ connectedAccount: ConnectedAccount }> {
    const body = await this.#transport.json<{ connected_account: object }>('POST', `${accountPath(ref)}/disconnect`, { ...ref, query: scopeQuery(ref) });
    return { connectedAccount: toConnectedAccount(body.connected_account) };
  }

  /** One page of connections (the `connectionName`s your code can use). */
  async listConnections(options: ListConnectionsOptions = {}): Promise<{ connections: Connection[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ connections: object[]; next_page_token: string | null }>('GET', '/api/v1/connections', {
      ...options,
      query: { connector: options.connector, page_size: options.pageSize, page_token: options.pageToken },
    });
    return { connections: body.connections.map(toConnection), nextPageToken: body.next_page_token };
  }
}
