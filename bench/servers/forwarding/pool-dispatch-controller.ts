import type { ServerResponse } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeaders, responseHeadersFromObject } from './headers.ts';

/**
 * The same as pool-dispatch.ts with undici 7's handler interface (`onResponseStart` with the
 * headers parsed into an object, a controller to pause and resume): the documented, non-deprecated
 * form, which costs a header object per call.
 */
export function poolDispatchController(base: URL): Forwarder {
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

class RelayHandler implements Dispatcher.DispatchHandler {
  readonly #response: ServerResponse;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(response: ServerResponse) {
    this.#response = response;
    response.once('close', () => {
      if (!response.writableFinished) this.#controller?.abort(new Error('the caller closed the connection'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.#response.writeHead(statusCode, responseHeadersFromObject(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#response.write(chunk)) return;
    controller.pause();
    this.#response.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.#response.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    fail(this.#response, error);
  }
}
