import type { ChangeFeed } from '../changes.ts';
import { ToolproxyError } from '../errors.ts';

/** An open GET stream (MCP Streamable HTTP "Listening for Messages from the Server"). */
export interface NotificationStream {
  configId: string;
  identifier: string;
  /** Whether the stream's config (as it is now) maps this connection. */
  maps(connectionName: string): boolean;
  /** Sends `notifications/tools/list_changed` on the stream. */
  notify(): void;
  /** The config was updated or deleted: re-read it, then notify. */
  configChanged(): void;
  /** Ends the stream (server shutdown). */
  close(): void;
}

/**
 * Tells open GET streams that their tool list changed. A change anywhere reaches every instance
 * through the change feed (Postgres LISTEN/NOTIFY relays it, src/store/postgres-change-relay.ts),
 * so a stream held by instance A hears that a user authorized an account on instance B, and no
 * request needs to be sticky. What changes a list: an account of the stream's identifier on a
 * mapped connection (authorized, expired, deleted), its config, or any connector or connection
 * (tools are attached to connectors).
 */
export class ListChangedNotifier {
  readonly #maxStreams: number;
  readonly #byIdentifier = new Map<string, Set<NotificationStream>>();
  #count = 0;

  constructor(deps: { changes: ChangeFeed; maxStreams: number }) {
    this.#maxStreams = deps.maxStreams;
    deps.changes.onAccountChanged((connectionName, identifier) => {
      for (const stream of this.#byIdentifier.get(identifier) ?? []) {
        if (stream.maps(connectionName)) stream.notify();
      }
    });
    deps.changes.onMcpConfigChanged((configId) => this.#each((stream) => stream.configId === configId && stream.configChanged()));
    deps.changes.onConfigChanged(() => this.#each((stream) => stream.notify()));
  }

  get open(): number {
    return this.#count;
  }

  /** Adds a stream; returns its removal. MCP_TOO_MANY_STREAMS when this instance holds its maximum. */
  add(stream: NotificationStream): () => void {
    if (this.#count >= this.#maxStreams) throw new ToolproxyError('MCP_TOO_MANY_STREAMS');
    let set = this.#byIdentifier.get(stream.identifier);
    if (!set) this.#byIdentifier.set(stream.identifier, (set = new Set()));
    set.add(stream);
    this.#count++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#count--;
      set.delete(stream);
      if (set.size === 0 && this.#byIdentifier.get(stream.identifier) === set) this.#byIdentifier.delete(stream.identifier);
    };
  }

  /** Ends every stream (the server is closing: an SSE response would otherwise hold it open). */
  closeAll(): void {
    this.#each((stream) => stream.close());
  }

  #each(fn: (stream: NotificationStream) => unknown): void {
    for (const set of [...this.#byIdentifier.values()]) for (const stream of [...set]) fn(stream);
  }
}
