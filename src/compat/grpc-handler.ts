import { ConnectError, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiClientsService } from '../clients/api-clients-service.ts';
import type { ConnectionsService } from '../connections/connections-service.ts';
import { isToolproxyError, ToolproxyError } from '../errors.ts';
import { API_CLIENT, type ConnectedAccountDeps, connectedAccountService } from './connected-account-service.ts';
import { connectionService } from './connection-service.ts';
import { ConnectedAccountService, ConnectionService, ToolService } from './descriptors.ts';
import { toConnectError } from './grpc-errors.ts';
import { toolService, type ToolServiceDeps } from './tool-service.ts';

/** A Node request handler for HTTP/1.1 or HTTP/2 requests (connect-node's `NodeHandlerFn`). */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;

export interface GrpcHandlerDeps extends ConnectedAccountDeps {
  clients: ApiClientsService;
  connections: ConnectionsService;
  /** The tools service and executor behind ToolService. */
  tools: ToolServiceDeps;
  log: FastifyBaseLogger;
  /** Largest request message accepted (the management API's body limit). */
  readMaxBytes: number;
  /** Where HTTP/2 requests that are not one of our RPCs go (the Fastify app). */
  fallback: NodeHandler;
}

/**
 * The HTTP/2 request handler for the Scalekit SDK's gRPC services (wire notes §3, §8), built
 * with connect-node from the SDK's own descriptors. gRPC only: the SDK speaks nothing else, and
 * every extra protocol would be one more surface to secure.
 */
export function createGrpcHandler(deps: GrpcHandlerDeps): NodeHandler {
  return connectNodeAdapter({
    routes(router) {
      router.service(ConnectedAccountService, connectedAccountService(deps));
      router.service(ConnectionService, connectionService(deps.connections));
      router.service(ToolService, toolService(deps.tools));
    },
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes: deps.readMaxBytes,
    interceptors: [rpcBoundary(deps.clients, deps.log)],
    fallback: deps.fallback,
  });
}

/**
 * Around every RPC: the app token (a fresh SDK client's first call carries none and must get 16
 * UNAUTHENTICATED, or it never fetches a token: wire notes §2.3), our errors as gRPC statuses,
 * and one log line with the status and duration (never the messages: they may hold credentials).
 */
function rpcBoundary(clients: ApiClientsService, log: FastifyBaseLogger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const rpc = `${req.service.name}/${req.method.name}`;
    const ms = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      const header = req.header.get('authorization');
      if (header === null || !/^bearer /i.test(header)) throw new ToolproxyError('UNAUTHENTICATED');
      const clientId = await clients.authenticate(header.slice(7).trim());
      req.contextValues.set(API_CLIENT, clientId);
      // The services read the API client from the context values (the audit trail's actor).
      const response = await next(req);
      log.info({ rpc, grpc_status: 0, ms: ms() }, 'rpc');
      return response;
    } catch (error) {
      const mapped = toConnectError(error);
      const code = isToolproxyError(error) ? error.code : error instanceof ConnectError ? undefined : 'INTERNAL_ERROR';
      if (code === 'INTERNAL_ERROR' || (isToolproxyError(error) && !error.expose)) {
        log.error({ rpc, grpc_status: mapped.code, code, ms: ms(), err: error }, 'rpc failed');
      } else {
        log.info({ rpc, grpc_status: mapped.code, code, ms: ms() }, 'rpc');
      }
      throw mapped;
    }
  };
}
