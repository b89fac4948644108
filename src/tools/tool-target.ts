import { identifierProblem } from '../accounts/identifiers.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import type { Routing } from '../proxy/call.ts';

/**
 * Which connected account a tool runs with (reference ExecuteTool): a connected account id, or
 * a connection name (the reference calls it `connector`) and the app's identifier, optionally
 * with the organization_id / user_id the account was created under.
 */
export type ToolTarget = (
  | { readonly connectedAccountId: string; readonly connectionName?: undefined; readonly identifier?: undefined }
  | { readonly connectedAccountId?: undefined; readonly connectionName: string; readonly identifier: string }
) & { readonly organizationId?: string | undefined; readonly userId?: string | undefined };

/** The target's fields as a caller sends them (REST snake_case names; empty strings count as absent, as proto3 sends them). */
export interface TargetFields {
  connected_account_id?: string | undefined;
  connection_name?: string | undefined;
  connector?: string | undefined;
  identifier?: string | undefined;
  organization_id?: string | undefined;
  user_id?: string | undefined;
}

const given = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Reads the target, or VALIDATION_FAILED listing every problem (INVALID_IDENTIFIER for a bad identifier). */
export function toolTarget(fields: TargetFields): ToolTarget {
  const problems: Problem[] = [];
  const { connected_account_id: id, connection_name: connectionName, connector, identifier } = fields;
  if (given(connectionName) && given(connector) && connectionName !== connector) {
    problems.push({ path: '/connector', message: 'give connection_name or connector (the same thing, by the reference name), not two different ones' });
  }
  const connection = given(connectionName) ? connectionName : connector;
  const scope = {
    ...(given(fields.organization_id) ? { organizationId: fields.organization_id } : {}),
    ...(given(fields.user_id) ? { userId: fields.user_id } : {}),
  };
  for (const [field, value] of [['organization_id', scope.organizationId], ['user_id', scope.userId]] as const) {
    const problem = value === undefined ? null : identifierProblem(value);
    if (problem !== null) problems.push({ path: `/${field}`, message: problem });
  }
  if (given(id)) {
    if (given(connection) || given(identifier)) {
      problems.push({ path: '/connected_account_id', message: 'give connected_account_id, or connection_name (connector) with identifier, not both' });
    }
    if (!/^ca_[A-Za-z0-9_-]{1,64}$/.test(id)) problems.push({ path: '/connected_account_id', message: 'must be a connected account id (ca_…)' });
    if (problems.length > 0) throw invalid(problems);
    return { connectedAccountId: id, ...scope };
  }
  if (!given(connection)) problems.push({ path: '/connection_name', message: 'send connected_account_id, or connection_name (connector) with identifier' });
  else if (connection.length > 200) problems.push({ path: '/connection_name', message: 'must be at most 200 characters' });
  const identifierIssue = identifierProblem(identifier);
  if (identifierIssue !== null) problems.push({ path: '/identifier', message: identifierIssue });
  if (problems.length > 0) throw invalid(problems);
  return { connectionName: connection!, identifier: identifier!, ...scope };
}

export function routingOf(target: ToolTarget): Routing {
  return target.connectedAccountId !== undefined
    ? { accountId: target.connectedAccountId }
    : { connectionName: target.connectionName, identifier: target.identifier };
}

function invalid(problems: Problem[]): ToolproxyError {
  return new ToolproxyError('VALIDATION_FAILED', { details: { problems } });
}
