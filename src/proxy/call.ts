import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Actor } from '../actor.ts';
import type { ToolproxyError } from '../errors.ts';
import type { ResolvedAccount } from './account-resolver.ts';
import { CallControl } from './call-control.ts';
import type { ConcurrencySlot } from './concurrency-limiter.ts';
import type { UpstreamRequest } from './forwarder.ts';
import type { RelayResult } from './relay.ts';
import type { Door, ProxyCallRecord } from './request-log.ts';

export type { Door } from './request-log.ts';

/** Response headers after the header policy (P15): what a caller may see. */
export type ForwardableHeaders = Record<string, string | string[]>;

/**
 * Where a call's answer goes. The relay step hands it the upstream's status, headers (already
 * filtered) and body once; `deliver` never rejects: a body that broke off comes back as
 * `error`, the relay step records why and calls `abort`. `open` and `close` bracket the call,
 * whatever happens, so a sink can tell the call when its caller is gone
 * (`call.control.callerClosed()`).
 */
export interface ResponseSink {
  open(call: Call): void;
  deliver(status: number, headers: ForwardableHeaders, body: Readable): Promise<RelayResult>;
  /** The body broke off after the status line: say so the only way left. */
  abort(): void;
  close(): void;
}


/**
 * Which connected account a call uses: the `/proxy` routing headers (connection name and the
 * app's identifier), or a connected account id (tools are called with `connected_account_id`).
 */
export type Routing =
  | { readonly connectionName: string; readonly identifier: string; readonly accountId?: undefined }
  | { readonly accountId: string; readonly connectionName?: undefined; readonly identifier?: undefined };

/** What a front door asks the pipeline to send. */
export interface PipelineRequest {
  /** Any case; P18's list decides (header-policy.ts), and the admit step upper-cases it. */
  method: string;
  readonly routing: Routing;
  /** Path and query relative to proxy_url, as sent (never decoded): `/v1/customers?limit=3`; `''` is the base. */
  readonly pathAndQuery: string;
  /** The caller's headers, or a tool's rendered non-credential ones: the header policy filters them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * True when Node's HTTP parser already held the headers to RFC 9110's grammar (`/proxy`, P16);
   * any other door's headers are checked by the admit step (P6).
   */
  readonly headersFromParser?: boolean | undefined;
  /**
   * A stream (sent as it arrives unless it has to be replayed), a rendered body, or none. The
   * approval step replaces a stream it had to read (to store it) by the bytes it read.
   */
  body: Readable | Buffer | null;
  /** Aborts the call when its caller is gone (tool and MCP doors); `/proxy`'s sink watches its socket instead. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The cheaper way for a door that holds a response to say its caller left (REST tool calls): an
   * AbortSignal and its listener cost a tool call about a tenth of its CPU. Called once when the
   * call starts, with the function to call when the caller is gone; returns what stops watching.
   */
  readonly watchCaller?: ((callerGone: () => void) => () => void) | undefined;
  /** Retries asked for on 429/502/503/504 (0–5, see retry.ts); the door has checked the method allows them. */
  readonly retries: number;
  /**
   * A problem the door found while reading the call (a malformed `x-toolproxy-retries`): the admit
   * step refuses with it, so it is answered and recorded like any other refusal.
   */
  readonly refusal?: ToolproxyError | undefined;
}

/** Who and what a call is for; every step can read it, and the record step writes it down. */
/** A policy document (src/policy/policy-schema.ts) a caller carries; only the policy step reads it. */
export type CarriedPolicy = Readonly<Record<string, unknown>>;

export interface CallContext {
  readonly door: Door;
  /** The authenticated caller; null only for calls nobody made on anyone's behalf. */
  readonly actor: Actor | null;
  /** Tool and MCP doors: the tool that rendered the request and this execution of it. */
  readonly toolName?: string | undefined;
  readonly executionId?: string | undefined;
  /**
   * A narrowing policy the caller carries (an MCP session token's, DESIGN.md §9): checked on top
   * of the connection's and the account's by the policy step (src/policy). A policy document,
   * validated when the token was minted; the pipeline only carries it.
   */
  readonly policy?: CarriedPolicy | undefined;
  /**
   * Set only by the approvals service when it runs an approved call it has claimed: the approval
   * step lets the call through (and records its outcome) instead of asking for approval again.
   */
  readonly approvalId?: string | undefined;
  /**
   * Tool and MCP doors: what the routed account must be. The resolve step refuses any other
   * account before anything is taken, read or sent (a tool of another connector:
   * TOOL_CONNECTION_MISMATCH; another organization or user: ACCOUNT_NOT_FOUND, as accounts do).
   */
  readonly expect?: AccountExpectation | undefined;
}

export interface AccountExpectation {
  /** The tool's connector; the account's connection must use it. */
  readonly connectorId: string;
  readonly organizationId?: string | undefined;
  readonly userId?: string | undefined;
}

/**
 * Per-call state a step keeps for itself (e.g. an approval it looked up), typed by its key:
 * `const held = new CallState<Approval>('approval'); held.set(call, approval); held.get(call)`.
 * Calls that never use one allocate nothing for it.
 */
export class CallState<T> {
  constructor(readonly name: string) {}

  get(call: Call): T | undefined {
    return call.states?.get(this) as T | undefined;
  }

  set(call: Call, value: T): void {
    (call.states ??= new Map()).set(this, value);
  }
}

/** What one call did, as the record step writes it down (the request log's row, the metrics' sample). */
export class CallRecord implements ProxyCallRecord {
  connectionName: string;
  accountId: string | null = null;
  /** Query values removed; filled in by the record step. */
  path = '';
  status = 0;
  latencyMs = 0;
  bytesIn = 0;
  bytesOut = 0;
  errorCode: string | null = null;
  readonly door: Door;
  readonly toolName: string | null;
  readonly executionId: string | null;
  readonly actor: Actor | null;

  constructor(
    readonly startedAt: number,
    public method: string,
    routing: Routing,
    context: CallContext,
  ) {
    // As the caller sent it: the call may be refused before any account is resolved.
    this.connectionName = routing.connectionName ?? '';
    this.door = context.door;
    this.toolName = context.toolName ?? null;
    this.executionId = context.executionId ?? null;
    this.actor = context.actor;
  }
}

/**
 * One call on its way through the pipeline: the request, its context and everything the steps
 * found out, in plain fields (one object per call; no closures per step). It is also the
 * UpstreamRequest the forwarder sends (`origin`, `path`, `method`, `headers`, `body`, `signal`).
 */
export class Call implements UpstreamRequest {
  readonly control: CallControl;
  readonly record: CallRecord;
  /** `performance.now()` at arrival, for the latency. */
  readonly started: number;
  /** The resolve step's account (replaced after an OAuth refresh). */
  account: ResolvedAccount | undefined = undefined;
  /** proxy_url's origin, and the checked path under it before any credential goes in (url-join.ts). */
  origin = '';
  joinedPath = '';
  /** What the forwarder sends, set by the inject step: the path with query-placed credentials, the headers. */
  path = '';
  method: Dispatcher.HttpMethod;
  headers: Record<string, string | string[]> = NO_HEADERS;
  /** The body as sent, and whether it can be sent again (request-body.ts). */
  body: Readable | Buffer | null = null;
  replayable = false;
  /** A policy's `max_request_body_bytes` for a body of unknown size (request-body.ts cuts it off there). */
  maxBodyBytes = Infinity;
  /** The limits step's slot, given back when the call is over. */
  slot: ConcurrencySlot | undefined = undefined;
  response: Dispatcher.ResponseData | undefined = undefined;
  /**
   * Why the call failed, or broke off after its status line (a ToolproxyError, or a CallerGoneError
   * when its caller left); undefined when it did neither.
   */
  error: ToolproxyError | Error | undefined = undefined;
  /** See CallState. */
  states: Map<CallState<unknown>, unknown> | undefined = undefined;

  constructor(
    readonly request: PipelineRequest,
    readonly context: CallContext,
    readonly sink: ResponseSink,
    startedAt: number,
    totalTimeoutMs: number,
  ) {
    this.started = performance.now();
    this.control = new CallControl(totalTimeoutMs, startedAt);
    this.method = request.method as Dispatcher.HttpMethod;
    this.record = new CallRecord(startedAt, request.method, request.routing, context);
  }

  get signal(): AbortSignal {
    return this.control.signal;
  }
}

const NO_HEADERS: Record<string, string | string[]> = Object.freeze({}) as Record<string, string | string[]>;
