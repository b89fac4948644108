import { ToolproxyConnectionError, ToolproxyError, ToolproxyTimeoutError } from './errors.ts';

export type Fetch = typeof globalThis.fetch;

/** Per-call limits: a total timeout (0 = none) and the caller's own AbortSignal. */
export interface CallContext {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** The server's base URL, named when it cannot be reached. */
  server?: string | undefined;
}

/**
 * Runs one network operation under the call's timeout and signal, and turns what fetch throws
 * into our errors: a timeout becomes `ToolproxyTimeoutError`, a network failure
 * `ToolproxyConnectionError`; the caller's own abort is rethrown as it is (an `AbortError`).
 */
export async function runCall<T>(context: CallContext, operation: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const timeout = context.timeoutMs > 0 ? AbortSignal.timeout(context.timeoutMs) : undefined;
  const signals = [timeout, context.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  try {
    return await operation(signal);
  } catch (error) {
    throw translate(error, context, timeout);
  }
}

function translate(error: unknown, context: CallContext, timeout?: AbortSignal): unknown {
  if (error instanceof ToolproxyError) return error;
  if (context.signal?.aborted) return context.signal.reason ?? error;
  if (timeout?.aborted || (error as { name?: string })?.name === 'TimeoutError') return new ToolproxyTimeoutError(context.timeoutMs);
  // fetch rejects with TypeError('fetch failed', { cause }) when the connection fails.
  if (error instanceof TypeError && error.cause !== undefined) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? error.message;
    const where = context.server ? ` at ${context.server}` : '';
    return new ToolproxyConnectionError(`Could not reach the toolproxy server${where} (${detail}).`, error);
  }
  return error;
}
