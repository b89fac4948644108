import type { FastifyRequest } from 'fastify';
import type { Actor } from '../actor.ts';
import type { ApiClientsService } from '../clients/api-clients-service.ts';
import { ToolproxyError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API client the bearer token belongs to. */
    clientId?: string;
    /** The same client as the actor of what this request does (request log, policies, audit). */
    actor?: Actor;
  }
}

/** API clients are few: more than this many distinct ones since the last clear is a sign of churn, not a need. */
const ACTORS_KEPT = 1_000;

/** onRequest hook: every management and proxy call carries `Authorization: Bearer <app token>`. */
export function requireAppToken(clients: ApiClientsService) {
  // One frozen actor per client, so a proxied call allocates none.
  const actors = new Map<string, Actor>();
  return async function authenticateApp(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !/^bearer /i.test(header)) throw new ToolproxyError('UNAUTHENTICATED');
    const clientId = await clients.authenticate(header.slice(7).trim());
    let actor = actors.get(clientId);
    if (actor === undefined) {
      if (actors.size >= ACTORS_KEPT) actors.clear();
      actors.set(clientId, (actor = Object.freeze({ type: 'api_client', id: clientId })));
    }
    request.clientId = clientId;
    request.actor = actor;
  };
}
