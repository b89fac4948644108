import type { FastifyRequest } from 'fastify';
import type { ApiClientsService } from '../clients/api-clients-service.ts';
import { ToolproxyError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API client the bearer token belongs to. */
    clientId?: string;
  }
}

/** onRequest hook: every management and proxy call carries `Authorization: Bearer <app token>`. */
export function requireAppToken(clients: ApiClientsService) {
  return async function authenticateApp(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !/^bearer /i.test(header)) throw new ToolproxyError('UNAUTHENTICATED');
    request.clientId = await clients.authenticate(header.slice(7).trim());
  };
}
