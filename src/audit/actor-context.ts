import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from '../actor.ts';

/**
 * The actor of the request being served, for audit entries recorded deep in a service that was
 * never told who called (connectors, connections, API clients). Set once per API request
 * (src/http/app.ts) and per gRPC call; `/proxy` passes its actor on the call context instead.
 */
const storage = new AsyncLocalStorage<Actor>();

export function runAs<T>(actor: Actor, fn: () => T): T {
  return storage.run(actor, fn);
}

export function currentActor(): Actor | undefined {
  return storage.getStore();
}
