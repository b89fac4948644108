import type { Readable, Writable } from 'node:stream';

export interface RelayResult {
  bytes: number;
  /** Why the source stopped before its end (upstream broke off, timeout, abort); undefined when complete. */
  error: unknown;
}

/**
 * Copies `source` into `target` with back-pressure (a slow caller pauses the upstream, so a
 * 1 GB download never sits in memory) and ends `target` when `source` ends. It never rejects
 * and never destroys `target`: after a failure the caller decides how to signal it.
 *
 * Not stream.pipeline: this runs on every proxied call, and pipeline's per-call AbortController,
 * end-of-stream bookkeeping and promise cost more than the rest of our handler (measured with
 * bench/, see bench/README.md).
 */
export function relay(source: Readable, target: Writable): Promise<RelayResult> {
  return new Promise((resolve) => {
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (!target.write(chunk)) {
        source.pause();
        target.once('drain', onDrain);
      }
    };
    const onDrain = () => source.resume();
    const done = (error: unknown) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      target.off('drain', onDrain);
      resolve({ bytes, error });
    };
    const onEnd = () => {
      target.end();
      done(undefined);
    };
    const onError = (error: unknown) => done(error);
    // Destroyed without an error: it still did not end.
    const onClose = () => done(Object.assign(new Error('The upstream response closed before its end.'), { code: 'UND_ERR_SOCKET' }));
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
}
