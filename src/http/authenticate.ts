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

/**
 * The actor of an `Authorization: Bearer <app token>` header, or UNAUTHENTICATED (TOKEN_EXPIRED,
 * …). One frozen actor per client, so a proxied call allocates none. Shared by the onRequest hook
 * and the `/proxy` dispatch (proxy-dispatch.ts), which reads the header without Fastify.
 */
export function appTokenActor(clients: ApiClientsService): (authorization: string | string[] | undefined) => Promise<Actor> {
  const actors = new Map<string, Actor>();
  return async function actorOf(header) {
    if (typeof header !== 'string' || !/^bearer /i.test(header)) throw new ToolproxyError('UNAUTHENTICATED');
    const clientId = await clients.authenticate(header.slice(7).trim());
    let actor = actors.get(clientId);
    if (actor === undefined) {
      if (actors.size >= ACTORS_KEPT) actors.clear();
      actors.set(clientId, (actor = Object.freeze({ type: 'api_client', id: clientId })));
    }
    return actor;
  };
}

/** onRequest hook: every management and proxy call carries `Authorization: Bearer <app token>`. */
export function requireAppToken(clients: ApiClientsService, actorOf = appTokenActor(clients)) {
  return async function authenticateApp(request: FastifyRequest): Promise<void> {
    const actor = await actorOf(request.headers.authorization);
    request.clientId = actor.id;
    request.actor = actor;
  };
}
