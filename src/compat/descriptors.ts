/**
 * The protobuf descriptors the official Scalekit Node SDK was generated from, loaded from the
 * pinned `@scalekit-sdk/node` package itself (it has no `exports` map, so deep imports work).
 * Using its own generated code, not a hand-copied schema, means a field number can never drift
 * from what the SDK puts on the wire. This is the only file that imports those paths.
 */
export {
  type AuthorizationDetails,
  AuthorizationDetailsSchema,
  ConnectedAccountService,
  type ConnectedAccountSchema,
  type ConnectedAccountForListSchema,
  ConnectorStatus,
  ConnectorType,
} from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js';
export {
  ConnectionProvider,
  ConnectionService,
  ConnectionStatus,
  ConnectionType,
  type ListConnectionSchema,
} from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connections/connections_pb.js';
export { ErrorInfoSchema } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/errdetails/errdetails_pb.js';
export { ToolService } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/tools/tools_pb.js';
