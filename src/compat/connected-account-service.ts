import { type ServiceImpl, createContextKey, type HandlerContext } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Actor } from '../accounts/account-events.ts';
import type { AccountListFilter, AccountsService } from '../accounts/accounts-service.ts';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { OAuthFlow } from '../accounts/oauth-flow.ts';
import { ToolproxyError } from '../errors.ts';
import { credentialValues, toAccount, toListedAccount } from './account-messages.ts';
import type { ConnectedAccountService } from './descriptors.ts';
import { accountKey, accountRef, given, pageSize, refuseUnsupported, scopeOf } from './request-fields.ts';

export interface ConnectedAccountDeps {
  accounts: AccountsService;
  links: AuthorizationLinks;
  flow: OAuthFlow;
}

/** The API client an RPC came from, set by the RPC boundary (grpc-handler.ts) for the audit trail. */
export const API_CLIENT = createContextKey<string | undefined>(undefined, { description: 'toolproxy API client id' });

function actorOf(ctx: HandlerContext): Actor | undefined {
  const id = ctx.values.get(API_CLIENT);
  return id === undefined ? undefined : { type: 'api_client', id };
}

/** The reference bounds `connection_names` at 20 and `query` at 3 characters or more. */
const MAX_CONNECTION_NAMES = 20;
const MIN_QUERY_LENGTH = 3;

/**
 * `scalekit.v1.connected_accounts.ConnectedAccountService`: the seven RPCs the SDK's `actions`
 * call (wire notes §5.1), `GetConnectedAccountDetails` (the Python SDK's), and the account RPCs
 * the SDKs never call but the reference has (`GetConnectedAccount`, `SearchConnectedAccounts`,
 * `DisconnectConnectedAccount`), each mapped onto the services behind the REST API. The "My…"
 * RPCs, which act on an end user's token context, answer UNIMPLEMENTED.
 */
export function connectedAccountService(deps: ConnectedAccountDeps): Partial<ServiceImpl<typeof ConnectedAccountService>> {
  const { accounts, links, flow } = deps;

  const getAccount = async (req: { organizationId?: string; userId?: string; id?: string; connector?: string; identifier?: string }) => {
    return { connectedAccount: toAccount(await accounts.get(accountRef(req))) };
  };

  return {
    async getMagicLinkForConnectedAccount(req, ctx) {
      // The reference echoes `state` to user_verify_url; our flow has no such round trip yet.
      refuseUnsupported({ state: req.state }, 'Keep your own state in user_verify_url (it is returned unchanged, with auth_request_id added).');
      const scope = scopeOf(req);
      const { connectionName, identifier } = given(req.id) && !given(req.connector)
        ? await accounts.get({ id: req.id, ...scope }).then((view) => ({ connectionName: view.connection_name, identifier: view.identifier }))
        : accountKey(req);
      const { link, expiry } = await links.create(connectionName, identifier, { userVerifyUrl: given(req.userVerifyUrl) ? req.userVerifyUrl : undefined, ...scope }, actorOf(ctx));
      return { link, expiry: timestampFromMs(Date.parse(expiry)) };
    },

    getConnectedAccountAuth: getAccount,
    getConnectedAccountDetails: getAccount,

    async getConnectedAccount(req) {
      return { connectedAccount: toAccount(await accounts.get({ id: requiredId(req.id) })) };
    },

    async createConnectedAccount(req, ctx) {
      const { connectionName, identifier } = accountKey(req);
      const scope = scopeOf(req);
      const values = credentialValues(req.connectedAccount?.authorizationDetails, req.connectedAccount?.apiConfig);
      if (values) return { connectedAccount: toAccount(await accounts.create(connectionName, identifier, values, scope, actorOf(ctx))) };
      // No credentials: the SDK's get-or-create fallback after a NOT_FOUND. Atomic on our side,
      // so two app instances racing for the same user both get the one PENDING_AUTH account.
      const { account } = await accounts.getOrCreate(connectionName, identifier, scope, actorOf(ctx));
      return { connectedAccount: toAccount(account) };
    },

    async updateConnectedAccount(req, ctx) {
      const ref = accountRef(req);
      const values = credentialValues(req.connectedAccount?.authorizationDetails, req.connectedAccount?.apiConfig);
      const view = values ? await accounts.updateCredentials(ref, values, actorOf(ctx)) : await accounts.get(ref);
      return { connectedAccount: toAccount(view) };
    },

    async deleteConnectedAccount(req, ctx) {
      await accounts.delete(accountRef(req), actorOf(ctx));
      return {};
    },

    async disconnectConnectedAccount(req, ctx) {
      return { connectedAccount: toAccount(await accounts.disconnect({ id: requiredId(req.id) }, actorOf(ctx))) };
    },

    async listConnectedAccounts(req) {
      if (req.connectionNames.length > MAX_CONNECTION_NAMES) throw invalid('/connection_names', `at most ${MAX_CONNECTION_NAMES} names`);
      if (req.connectionNames.length > 0 && given(req.connector)) throw invalid('/connection_names', 'give connection_names or connector (connectionName), not both');
      if (given(req.query) && req.query.length < MIN_QUERY_LENGTH) throw invalid('/query', `must be at least ${MIN_QUERY_LENGTH} characters`);
      const filter: AccountListFilter = {
        connectionName: given(req.connector) ? req.connector : undefined,
        connectionNames: req.connectionNames.length > 0 ? req.connectionNames : undefined,
        connector: given(req.provider) ? req.provider : undefined,
        identifier: given(req.identifier) ? req.identifier : undefined,
        query: given(req.query) ? req.query : undefined,
        ...scopeOf(req),
      };
      return listed(await accounts.list(filter, { pageSize: pageSize(req.pageSize, 100, 50), pageToken: given(req.pageToken) ? req.pageToken : null }));
    },

    async searchConnectedAccounts(req) {
      if (req.query.length < MIN_QUERY_LENGTH) throw invalid('/query', `must be at least ${MIN_QUERY_LENGTH} characters`);
      const filter = { query: req.query, connectionId: given(req.connectionId) ? req.connectionId : undefined };
      return listed(await accounts.list(filter, { pageSize: pageSize(req.pageSize, 30, 30), pageToken: given(req.pageToken) ? req.pageToken : null }));
    },

    async verifyConnectedAccountUser(req) {
      const { redirectUrl } = await flow.verifyUser(req.authRequestId, req.identifier);
      return { postUserVerifyRedirectUrl: redirectUrl ?? '' };
    },
  };
}

function listed(page: Awaited<ReturnType<AccountsService['list']>>) {
  return {
    connectedAccounts: page.items.map(toListedAccount),
    totalSize: page.totalSize ?? page.items.length,
    nextPageToken: page.nextPageToken ?? '',
    // Keyset paging runs forward only (stable under inserts and deletes); start again for earlier pages.
    prevPageToken: '',
  };
}

/** GetConnectedAccount and DisconnectConnectedAccount name the account by id (the reference's `/this` needs a user token we do not issue). */
function requiredId(id: string): string {
  if (!given(id)) throw invalid('/id', 'send the connected account id (ca_…)');
  return id;
}

function invalid(path: string, message: string): ToolproxyError {
  return new ToolproxyError('VALIDATION_FAILED', { details: { problems: [{ path, message }] } });
}
