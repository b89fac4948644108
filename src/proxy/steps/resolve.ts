import { ToolproxyError } from '../../errors.ts';
import type { AccountResolver, ResolvedAccount } from '../account-resolver.ts';
import type { AccountExpectation, Call } from '../call.ts';
import type { PipelineStep } from '../pipeline.ts';
import { joinUpstreamUrl, type UpstreamTarget } from '../url-join.ts';

/**
 * The call's connected account, by the routing headers or by account id: a warm account is a
 * synchronous cache hit (no SQL, no decrypt); a cold one is read once however many calls wait
 * for it (AccountResolver). Then the account must be usable, and the path is joined under its
 * proxy_url (P1), so later steps (a policy) see the checked path.
 */
export class ResolveStep implements PipelineStep {
  readonly name = 'resolve';
  readonly #resolver: AccountResolver;

  constructor(resolver: AccountResolver) {
    this.#resolver = resolver;
  }

  run(call: Call): void | Promise<void> {
    const routing = call.request.routing;
    let account: ResolvedAccount | undefined;
    if (routing.accountId === undefined) {
      if (routing.connectionName === '' || routing.identifier === '') throw new ToolproxyError('MISSING_ROUTING_HEADERS');
      account = this.#resolver.peek(routing.connectionName, routing.identifier);
    } else {
      account = this.#resolver.peekById(routing.accountId);
    }
    if (account === undefined) return this.#cold(call);
    useAccount(call, account);
  }

  async #cold(call: Call): Promise<void> {
    const routing = call.request.routing;
    const account = routing.accountId === undefined
      ? await this.#resolver.resolve(routing.connectionName, routing.identifier)
      : await this.#resolver.resolveById(routing.accountId);
    useAccount(call, account);
  }
}

/**
 * Makes `account` the call's (also after an OAuth refresh re-read it). It is written into the
 * record first, so a call refused from here on (not active, egress policy, a limit) keeps the
 * account it was routed to in the request log (issue 16).
 */
export function useAccount(call: Call, account: ResolvedAccount): void {
  call.account = account;
  call.record.accountId = account.accountId;
  call.record.connectionName = account.connectionName;
  const expected = call.context.expect;
  if (expected !== undefined) assertExpected(account, expected, call.context.toolName);
  const target = usableTarget(account);
  call.origin = target.origin;
  call.joinedPath = joinUpstreamUrl(target, call.request.pathAndQuery).slice(target.origin.length);
}

/** A tool door's account must be of the tool's connector and in the scope the caller gave. */
function assertExpected(account: ResolvedAccount, expected: AccountExpectation, toolName: string | undefined): void {
  if ((expected.organizationId !== undefined && account.organizationId !== expected.organizationId) || (expected.userId !== undefined && account.userId !== expected.userId)) {
    throw new ToolproxyError('ACCOUNT_NOT_FOUND', {
      details: {
        connection_name: account.connectionName,
        identifier: account.identifier,
        ...(expected.organizationId === undefined ? {} : { organization_id: expected.organizationId }),
        ...(expected.userId === undefined ? {} : { user_id: expected.userId }),
      },
    });
  }
  if (account.connectorId !== expected.connectorId) {
    throw new ToolproxyError('TOOL_CONNECTION_MISMATCH', { details: { tool_name: toolName ?? null, connection_name: account.connectionName } });
  }
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
