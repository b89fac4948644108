import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AccountsService } from '../accounts/accounts-service.ts';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { OAuthFlow } from '../accounts/oauth-flow.ts';
import { credentialValues, toAccount, toListedAccount } from './account-messages.ts';
import type { ConnectedAccountService } from './descriptors.ts';
import { accountKey, accountRef, given, pageSize, refuseScoping, refuseUnsupported } from './request-fields.ts';

export interface ConnectedAccountDeps {
  accounts: AccountsService;
  links: AuthorizationLinks;
  flow: OAuthFlow;
}

/**
 * `scalekit.v1.connected_accounts.ConnectedAccountService`: the seven RPCs the SDK's `actions`
 * call (wire notes §5.1), plus `GetConnectedAccountDetails` (the Python SDK's), each mapped onto
 * the services behind the REST API. RPCs the SDKs never call are left out and answer
 * UNIMPLEMENTED.
 */
export function connectedAccountService(deps: ConnectedAccountDeps): Partial<ServiceImpl<typeof ConnectedAccountService>> {
  const { accounts, links, flow } = deps;

  const getAccount = async (req: { organizationId?: string; userId?: string; id?: string; connector?: string; identifier?: string }) => {
    refuseScoping(req);
    return { connectedAccount: toAccount(await accounts.get(accountRef(req))) };
  };

  return {
    async getMagicLinkForConnectedAccount(req) {
      refuseScoping(req);
      // The reference echoes `state` to user_verify_url; our flow has no such round trip yet.
      refuseUnsupported({ state: req.state }, 'Keep your own state in user_verify_url (it is returned unchanged, with auth_request_id added).');
      const { connectionName, identifier } = given(req.id) && !given(req.connector)
        ? await accounts.get({ id: req.id }).then((view) => ({ connectionName: view.connection_name, identifier: view.identifier }))
        : accountKey(req);
      const { link, expiry } = await links.create(connectionName, identifier, { userVerifyUrl: given(req.userVerifyUrl) ? req.userVerifyUrl : undefined });
      return { link, expiry: timestampFromMs(Date.parse(expiry)) };
    },

    getConnectedAccountAuth: getAccount,
    getConnectedAccountDetails: getAccount,

    async createConnectedAccount(req) {
      refuseScoping(req);
      const { connectionName, identifier } = accountKey(req);
      const values = credentialValues(req.connectedAccount?.authorizationDetails, req.connectedAccount?.apiConfig);
      if (values) return { connectedAccount: toAccount(await accounts.create(connectionName, identifier, values)) };
      // No credentials: the SDK's get-or-create fallback after a NOT_FOUND. Atomic on our side,
      // so two app instances racing for the same user both get the one PENDING_AUTH account.
      const { account } = await accounts.getOrCreate(connectionName, identifier);
      return { connectedAccount: toAccount(account) };
    },

    async updateConnectedAccount(req) {
      refuseScoping(req);
      const ref = accountRef(req);
      const values = credentialValues(req.connectedAccount?.authorizationDetails, req.connectedAccount?.apiConfig);
      const view = values ? await accounts.updateCredentials(ref, values) : await accounts.get(ref);
      return { connectedAccount: toAccount(view) };
    },

    async deleteConnectedAccount(req) {
      refuseScoping(req);
      await accounts.delete(accountRef(req));
      return {};
    },

    async listConnectedAccounts(req) {
      refuseScoping(req);
      refuseUnsupported(
        { provider: req.provider, query: req.query, connection_names: req.connectionNames.length > 1 },
        'Filter by one connection (connectionName) and/or identifier; call once per connection for several.',
      );
      const connectionName = given(req.connector) ? req.connector : req.connectionNames[0];
      const page = await accounts.list(
        { connectionName, identifier: given(req.identifier) ? req.identifier : undefined },
        { pageSize: pageSize(req.pageSize, 100, 50), pageToken: given(req.pageToken) ? req.pageToken : null },
      );
      return {
        connectedAccounts: page.items.map(toListedAccount),
        // We keep no counts: this is the size of this page (the whole list when next is empty).
        totalSize: page.items.length,
        nextPageToken: page.nextPageToken ?? '',
        prevPageToken: '',
      };
    },

    async verifyConnectedAccountUser(req) {
      const { redirectUrl } = await flow.verifyUser(req.authRequestId, req.identifier);
      return { postUserVerifyRedirectUrl: redirectUrl ?? '' };
    },
  };
}
