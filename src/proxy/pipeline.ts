/**
 * The proxy pipeline (DESIGN.md §9): every proxied call, whichever front door it came through
 * (`/proxy`, tool execution, MCP `tools/call`), runs the same ordered list of named steps.
 * Nothing else opens an upstream connection or resolves an account.
 *
 *   admit → [audit] → resolve → [policy] → [approval] → limits → inject → forward → relay → record
 *
 * - admit    refuses what cannot be proxied at all: a method outside P18's list, headers outside
 *            RFC 9110's grammar (rendered requests), a problem the door found (steps/admit.ts)
 * - audit    the audit trail's back-pressure (a full queue holds the call, then refuses it with
 *            AUDIT_UNAVAILABLE), and at the end its one audit entry (steps/audit.ts, over src/audit's trail)
 * - resolve  the connected account (warm: no SQL, no decrypt), usable or refused, and the
 *            upstream URL joined under proxy_url (P1)
 * - limits   a concurrency slot of the account and its connection (P19), given back at the end
 * - inject   fresh credentials (OAuth refreshed ahead of expiry) and the headers that go upstream
 * - forward  the body (replayed from memory when it may be sent again), opt-in retries, one
 *            refresh and retry after an OAuth 401
 * - relay    the answer into the door's sink: streamed to the caller, or collected for a tool
 * - record   the request log, metrics and debug line: exactly once per call, whatever happened
 *
 * Insertion points (issue 14), between resolve and limits, so a refusal costs no slot, reads no
 * body and sends nothing upstream, and the record step still writes the refusal down:
 * - policy (src/policy/policy-step.ts, docs/policies.md): reads `call.account` (connection and
 *   account), `call.joinedPath` (checked, under proxy_url), `call.method`, `call.context` (door,
 *   tool name, a carried MCP token policy) and the declared body length; throws POLICY_DENIED or
 *   RATE_LIMITED.
 * - approval: after policy; `approvalRequirement(call)` (src/policy/approval-requirement.ts) says
 *   which require_approval rule matches; it holds the call (awaits, with `call.control.signal`) or
 *   refuses with APPROVAL_REQUIRED. A step keeps per-call state with a `CallState` key.
 * Add a step to `standardSteps` (steps/index.ts); the names' order is checked at construction.
 * The server builds the pipeline with `createProxyPipeline` there and hands it to every door.
 *
 * A step is an object with `run` and/or `finish`: `run` runs in list order until one throws (a
 * refusal is a ToolproxyError); `finish` runs exactly once for every step when the call is over,
 * in list order, whether the call was relayed, refused, failed or its caller left. A plain loop
 * over step objects: no closure per step per call, and a synchronous `run` (a warm account, a
 * free slot) costs no promise.
 *
 * A door hands over a PipelineRequest (method, routing by connection name and identifier or by
 * account id, path and query under proxy_url, headers, body as a stream, a Buffer or null, an
 * abort signal, retries), a CallContext (door, actor, tool name, execution id) and a sink, one
 * per call: `/proxy` reads its request with `proxyRequest()` and streams into a RelaySink; tool
 * execution and MCP call `pipeline.collect(request, context, maxBytes)` for the answer buffered
 * up to a cap (CollectingSink, `truncated` when cut).
 *
 * `run()` resolves with the call's record once the answer went into the sink (a body that
 * broke off after the status line is in `record.errorCode`, and a CollectingSink throws it from
 * `result()`); it rejects with a ToolproxyError when the call was refused or failed before its
 * status line (the door answers it in its own shape), or with a CallerGoneError when the caller
 * left first (nobody to answer).
 */
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import { Call, type CallContext, type CallRecord, type PipelineRequest } from './call.ts';
import { CollectingSink, type CollectedResponse, type ResponseSink } from './sinks.ts';

/** The steps' names, in the only order they may run. */
export const STEP_ORDER = ['admit', 'audit', 'resolve', 'policy', 'approval', 'limits', 'inject', 'forward', 'relay', 'record'] as const;
export type StepName = (typeof STEP_ORDER)[number];

export interface PipelineStep {
  readonly name: StepName;
  /** Runs in list order until one throws; returns a promise only when it has something to wait for. */
  run?(call: Call): void | Promise<void>;
  /** Runs once for every step when the call is over, whatever happened, in list order; must not throw. */
  finish?(call: Call): void;
}

/** The log lines the pipeline writes (pino's shape; the server hands it the app's logger). */
export interface PipelineLog {
  readonly level: string;
  debug(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface PipelineOptions {
  steps: readonly PipelineStep[];
  clock: Clock;
  /** TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS (P13): a call is aborted this long after it arrived. */
  totalTimeoutMs: number;
  log: PipelineLog;
}

export class ProxyPipeline {
  readonly steps: readonly PipelineStep[];
  readonly #running: readonly PipelineStep[];
  readonly #finishing: readonly PipelineStep[];
  readonly #clock: Clock;
  readonly #totalTimeoutMs: number;
  readonly #log: PipelineLog;

  constructor(options: PipelineOptions) {
    assertOrdered(options.steps);
    this.steps = options.steps;
    this.#running = options.steps.filter((step) => step.run !== undefined);
    this.#finishing = options.steps.filter((step) => step.finish !== undefined);
    this.#clock = options.clock;
    this.#totalTimeoutMs = options.totalTimeoutMs;
    this.#log = options.log;
  }

  /** Runs one call into `sink`; see the file comment for what settles how. */
  async run(request: PipelineRequest, context: CallContext, sink: ResponseSink): Promise<CallRecord> {
    const call = new Call(request, context, sink, this.#clock(), this.#totalTimeoutMs);
    const control = call.control;
    const signal = request.signal;
    const onAbort = signal === undefined ? undefined : () => control.callerClosed();
    if (signal !== undefined) {
      if (signal.aborted) control.callerClosed();
      else signal.addEventListener('abort', onAbort!, { once: true });
    }
    const unwatch = request.watchCaller?.(() => control.callerClosed());
    sink.open(call);
    let failure: unknown;
    try {
      const running = this.#running;
      for (let i = 0; i < running.length; i++) {
        // A caller that left (or a deadline that passed) stops the call before its next step.
        if (control.aborted) throw control.reason;
        const pending = running[i]!.run!(call);
        if (pending !== undefined) await pending;
      }
    } catch (error) {
      failure = this.#failed(call, error);
    }
    control.finish();
    sink.close();
    if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
    unwatch?.();
    const finishing = this.#finishing;
    for (let i = 0; i < finishing.length; i++) {
      try {
        finishing[i]!.finish!(call);
      } catch (error) {
        // A finish that throws must not keep the others (the record step) from running.
        this.#log.error({ err: error, step: finishing[i]!.name }, 'a proxy pipeline step failed to finish');
      }
    }
    if (failure !== undefined) throw failure;
    return call.record;
  }

  /** Tool execution and MCP: runs the call and returns the answer buffered up to `maxBytes` (see CollectingSink). */
  async collect(request: PipelineRequest, context: CallContext, maxBytes: number): Promise<CollectedResponse> {
    const sink = new CollectingSink(maxBytes);
    await this.run(request, context, sink);
    return sink.result();
  }

  #failed(call: Call, error: unknown): unknown {
    const record = call.record;
    if (call.control.callerGone) {
      // Nobody is left to answer; this is not a server error. nginx's "client closed request".
      record.status = 499;
      record.errorCode = 'CLIENT_CLOSED';
      call.error = call.control.reason as Error;
      return call.error;
    }
    const mapped = error instanceof ToolproxyError ? error : new ToolproxyError('INTERNAL_ERROR', { cause: error });
    record.status = mapped.statusCode;
    record.errorCode = mapped.code;
    call.error = mapped;
    return mapped;
  }
}

function assertOrdered(steps: readonly PipelineStep[]): void {
  let last = -1;
  for (const step of steps) {
    const position = STEP_ORDER.indexOf(step.name);
    if (position <= last) {
      throw new Error(`proxy pipeline: step "${step.name}" is out of order or repeated; the order is ${STEP_ORDER.join(' → ')}`);
    }
    last = position;
  }
  if (steps.at(-1)?.name !== 'record') throw new Error('proxy pipeline: the last step must be "record", which writes every call down');
}
