import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Call, ForwardableHeaders, ResponseSink } from './call.ts';
import type { CallControl } from './call-control.ts';
import { relay, type RelayResult } from './relay.ts';

export type { ForwardableHeaders, ResponseSink } from './call.ts';

/**
 * `/proxy`: the answer is written to the caller as it arrives, status line, headers and bytes,
 * with back-pressure both ways (relay.ts). Once the status line is out, a body that breaks off
 * can only be signalled by aborting the response.
 */
export class RelaySink implements ResponseSink {
  readonly #response: ServerResponse;
  #control: CallControl | undefined = undefined;

  constructor(response: ServerResponse) {
    this.#response = response;
  }

  // The response's close (not the request's, which fires once the body is read) says the caller
  // went away before we finished.
  readonly #onClose = (): void => {
    if (!this.#response.writableFinished) this.#control?.callerClosed();
  };

  open(call: Call): void {
    this.#control = call.control;
    this.#response.once('close', this.#onClose);
  }

  /** Called right before the status line goes out: a framework that owns the response lets go of it here. */
  protected takeOver(): void {}

  deliver(status: number, headers: ForwardableHeaders, body: Readable): Promise<RelayResult> {
    this.takeOver();
    this.#response.writeHead(status, headers);
    return relay(body, this.#response);
  }

  /** The status line is out: the only honest signal left is an aborted response. */
  abort(): void {
    this.#response.destroy();
  }

  close(): void {
    this.#response.off('close', this.#onClose);
  }
}

/** A tool's answer: status, headers and as much of the body as the cap allows. */
export interface CollectedResponse {
  status: number;
  headers: ForwardableHeaders;
  body: Buffer;
  /** The body was longer than the cap: `body` holds its first `maxBytes` bytes, the rest was never read. */
  truncated: boolean;
}

/**
 * Tool execution and MCP: the answer is buffered, up to `maxBytes`. A longer body is cut there
 * and marked `truncated` (the upstream connection is dropped instead of downloading the rest).
 * After `pipeline.run()` resolves, `result()` returns the answer, or throws why it broke off.
 */
export class CollectingSink implements ResponseSink {
  readonly #maxBytes: number;
  #call: Call | undefined = undefined;
  #collected: CollectedResponse | undefined = undefined;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a whole number of bytes, got ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  open(call: Call): void {
    this.#call = call;
  }

  close(): void {}

  /** Nothing went anywhere yet: `result()` throws the call's error. */
  abort(): void {}

  deliver(status: number, headers: ForwardableHeaders, body: Readable): Promise<RelayResult> {
    const max = this.#maxBytes;
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let settled = false;
      const done = (error: unknown, truncated: boolean) => {
        if (settled) return;
        settled = true;
        body.off('data', onData);
        this.#collected = { status, headers, body: Buffer.concat(chunks, bytes), truncated };
        resolve({ bytes, error });
      };
      const onData = (chunk: Buffer) => {
        const room = max - bytes;
        if (chunk.length <= room) {
          chunks.push(chunk);
          bytes += chunk.length;
          return;
        }
        if (room > 0) chunks.push(chunk.subarray(0, room));
        bytes = max;
        done(undefined, true);
        body.destroy();
      };
      body.on('data', onData);
      body.once('end', () => done(undefined, false));
      body.once('error', (error) => done(error, false));
      body.once('close', () => {
        if (!settled) done(Object.assign(new Error('The upstream response closed before its end.'), { code: 'UND_ERR_SOCKET' }), false);
      });
    });
  }

  /** The collected answer; throws the call's error when the body broke off (or nothing came back). */
  result(): CollectedResponse {
    const error = this.#call?.error;
    if (error !== undefined) throw error;
    if (this.#collected === undefined) throw new Error('CollectingSink.result() called before the pipeline delivered an answer');
    return this.#collected;
  }
}
