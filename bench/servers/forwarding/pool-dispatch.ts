import type { ServerResponse } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeaders, responseHeaders } from './headers.ts';

/**
 * undici `Pool.dispatch` with a handler that writes each chunk to the ServerResponse as it
 * arrives: no Readable for the upstream body, no promise, no parsed header object (undici's raw
 * handler interface hands over the header bytes, which go straight into `writeHead`).
 * Back-pressure: `onData` returns false when the caller's socket is full, which pauses the
 * upstream socket until 'drain' resumes it.
 */
export function poolDispatch(base: URL): Forwarder {
  const { origin, prefix } = parseBase(base);
  const pool = new Pool(origin);
  return {
    handle(request, response) {
      const { headers, hasBody } = requestHeaders(request.rawHeaders);
      pool.dispatch(
        { path: prefix + request.url!, method: request.method as Dispatcher.HttpMethod, headers, body: hasBody ? request : null },
        new RelayHandler(response),
      );
    },
    close: () => pool.close(),
  };
}

class RelayHandler {
  readonly #response: ServerResponse;
  #abort: ((error?: Error) => void) | undefined;
  #resume: (() => void) | undefined;

  constructor(response: ServerResponse) {
    this.#response = response;
    // The caller went away before the end: stop the upstream exchange too.
    response.once('close', () => {
      if (!response.writableFinished) this.#abort?.(new Error('the caller closed the connection'));
    });
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // An informational answer (103 Early Hints) is not relayed; the final one follows.
    if (statusCode < 200) return true;
    this.#resume = resume;
    this.#response.writeHead(statusCode, responseHeaders(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#response.write(chunk)) return true;
    this.#response.once('drain', this.#resume!);
    return false;
  }

  onComplete(): void {
    this.#response.end();
  }

  onError(error: Error): void {
    fail(this.#response, error);
  }
}
