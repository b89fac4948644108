/**
 * @toolproxy/sdk — the Node client of toolproxy. No runtime dependencies (global `fetch`).
 *
 * @example
 * import { ToolproxyClient } from '@toolproxy/sdk';
 * const client = new ToolproxyClient(envUrl, clientId, clientSecret);
 * const result = await client.actions.request({ connectionName: 'acme', identifier: 'user_123', path: '/v1/customers' });
 */
export { ToolproxyClient, SDK_VERSION, type ClientOptions } from './client.ts';
export {
  Actions,
  type AccountKey,
  type AccountScope,
  type AuthorizationLinkOptions,
  type ConnectedAccountPage,
  type ListConnectedAccountsOptions,
  type ListConnectionsOptions,
  type SearchConnectedAccountsOptions,
} from './actions.ts';
export { Connectors, type ListConnectorsOptions } from './connectors.ts';
export { Connections } from './connections.ts';
export { ApiClients } from './api-clients.ts';
export { Tools, type ListToolsOptions, type ImportToolsOptions, type IdentifierToolsOptions, type IdentifierToolFilter } from './tools.ts';
export type { Tool, ToolDefinitionView, ToolImportResult, ScopedTool, AvailableTool, ToolExecution } from './tool-types.ts';
export { TOOL_TIMEOUT_MS, type ExecuteToolOptions, type ToolAccountRoute } from './execute-tool.ts';
export { Toolkit } from './toolkit.ts';
export * from './adapters/index.ts';
export { type EffectivePolicy, Policies, type PolicyDocument, type StoredPolicy } from './policies.ts';
export { type Approval, type ApprovalDecision, type ApprovalExecution, type ApprovalRequest, Approvals, type ApprovalStatus } from './approvals.ts';
export { Mcp, type McpConfig, type McpConnectedAccount, type McpSessionToken, type McpToolMapping } from './mcp.ts';
export type { CallOptions } from './transport.ts';
export type { RequestOptions, QueryValue, FormValue, RawBody } from './proxy-request.ts';
export { encodeQuery } from './proxy-request.ts';
export { ProxyResponse, type ResponseType } from './proxy-response.ts';
export {
  ToolproxyError,
  ToolproxyApiError,
  ToolproxyConnectionError,
  ToolproxyTimeoutError,
  UpstreamHttpError,
  ToolExecutionError,
  ToolUnauthorizedError,
  ToolForbiddenError,
  ToolRateLimitError,
  SERVER_ERROR_CODES,
  type ErrorCode,
  type ServerErrorCode,
  type ClientErrorCode,
} from './errors.ts';
export type {
  AccountRef,
  AccountStatus,
  ApiClient,
  AuthorizationDetails,
  ConnectedAccount,
  Connection,
  Connector,
  ConnectorDefinition,
  ConnectorWarning,
} from './types.ts';
