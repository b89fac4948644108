/**
 * Runs a tool (issue 12, DESIGN.md §9): the tool's input is validated against its input_schema
 * and rendered into a request, which goes through the one proxy pipeline like a `/proxy` call
 * (account resolution, refresh, egress and header policy, limits, request log with the tool
 * name and execution id, metrics), and the buffered answer becomes the tool's output: parsed,
 * projected by the tool's `output`, capped at a size a model can take. Nothing is sent upstream
 * unless the tool exists, the input is valid, the request renders, and the account is ACTIVE,
 * of the tool's connector and in the scope given.
 *
 * Refusals throw a ToolproxyError (with `execution_id` in its details once the pipeline ran);
 * an upstream answer of any status is a result, which each door maps in its own shape
 * (tool-errors.ts for REST and gRPC, src/mcp for MCP).
 */
import type { Actor } from '../actor.ts';
import type { Clock } from '../clock.ts';
import { isToolproxyError, ToolproxyError } from '../errors.ts';
import type { CallContext, CarriedPolicy, PipelineRequest } from '../proxy/call.ts';
import type { ProxyPipeline } from '../proxy/pipeline.ts';
import { type CappedOutput, capOutput } from './cap-output.ts';
import { executionIds } from './execution-ids.ts';
import { projectOutput } from './project-output.ts';
import { renderToolRequest } from './render-request.ts';
import { readAnswer, retryAfterSeconds } from './tool-answer.ts';
import { routingOf, type ToolTarget } from './tool-target.ts';
import type { LoadedTool, ToolsService } from './tools-service.ts';

export interface ToolCall {
  toolName: string;
  /** Unvalidated: checked against the tool's input_schema here. Absent or null counts as `{}`. */
  params: unknown;
  target: ToolTarget;
  door: 'tool' | 'mcp';
  actor: Actor | null;
  /** Aborts the call when its caller goes away (or, cheaper for a door that holds a response, `watchCaller`: see PipelineRequest). */
  signal?: AbortSignal | undefined;
  watchCaller?: PipelineRequest['watchCaller'];
  /** A narrowing policy the caller carries (an MCP session token's): the policy step checks it too. */
  policy?: CarriedPolicy | undefined;
}

export interface ToolResult {
  executionId: string;
  tool: LoadedTool;
  /** The upstream's HTTP status; `ok` when 2xx. */
  status: number;
  ok: boolean;
  /** 2xx: projected by the tool's `output`; otherwise the upstream's answer as it came. Capped either way. */
  data: unknown;
  truncated: boolean;
  /** When truncated: what was cut, in words, for the caller to pass on. */
  note?: string | undefined;
  /** 429 and 503: the upstream's Retry-After, in seconds. */
  retryAfterSeconds?: number | undefined;
}

const UNCUT = (value: unknown): CappedOutput => ({ value, truncated: false, originalBytes: -1 });

/** The account statuses whose refusal a caller fixes by sending the user an authorization link. */
const NEEDS_AUTHORIZATION = new Set(['ACCOUNT_NOT_ACTIVE', 'ACCOUNT_EXPIRED', 'ACCOUNT_DISCONNECTED']);
export const AUTHORIZATION_LINK_HINT = 'POST /api/v1/connected_accounts/magic_link';

export class ToolExecutor {
  readonly #tools: ToolsService;
  readonly #pipeline: ProxyPipeline;
  readonly #clock: Clock;
  readonly #responseMaxBytes: number;
  readonly #outputMaxBytes: number;

  constructor(deps: { tools: ToolsService; pipeline: ProxyPipeline; clock: Clock; responseMaxBytes: number; outputMaxBytes: number }) {
    this.#tools = deps.tools;
    this.#pipeline = deps.pipeline;
    this.#clock = deps.clock;
    this.#responseMaxBytes = deps.responseMaxBytes;
    this.#outputMaxBytes = deps.outputMaxBytes;
  }

  /** The tool by name (cached); TOOL_NOT_FOUND when there is none. */
  load(toolName: string): Promise<LoadedTool> {
    if (typeof toolName !== 'string' || !/^[a-z0-9_]{1,64}$/.test(toolName)) {
      return Promise.reject(new ToolproxyError('TOOL_NOT_FOUND', { message: 'No tool with this name.', details: { tool_name: String(toolName).slice(0, 200) } }));
    }
    return this.#tools.load(toolName);
  }

  async execute(call: ToolCall): Promise<ToolResult> {
    const tool = await this.load(call.toolName);
    const input = call.params === undefined || call.params === null ? {} : call.params;
    const executionId = executionIds.next();
    const context: CallContext = {
      door: call.door,
      actor: call.actor,
      toolName: tool.name,
      executionId,
      expect: { connectorId: tool.connectorId, organizationId: call.target.organizationId, userId: call.target.userId },
      ...(call.policy === undefined ? {} : { policy: call.policy }),
    };
    let request: PipelineRequest;
    try {
      this.#tools.assertValidInput(tool, input);
      const rendered = renderToolRequest(tool.definition, input);
      request = {
        method: rendered.method,
        routing: routingOf(call.target),
        pathAndQuery: rendered.pathAndQuery,
        headers: rendered.contentType === null ? rendered.headers : { ...rendered.headers, 'content-type': rendered.contentType },
        body: rendered.body,
        signal: call.signal,
        watchCaller: call.watchCaller,
        retries: 0,
      };
    } catch (error) {
      if (!isToolproxyError(error) || error.code !== 'TOOL_INPUT_INVALID') throw error;
      // Invalid input goes to the pipeline as the door's refusal: the admit step refuses it before
      // anything is resolved or sent, and the request log records it like any other refusal.
      request = { method: tool.definition.request.method, routing: routingOf(call.target), pathAndQuery: '', headers: {}, body: null, retries: 0, refusal: error };
    }
    let response;
    try {
      response = await this.#pipeline.collect(request, context, this.#responseMaxBytes);
    } catch (error) {
      throw withExecution(error, executionId);
    }
    const ok = response.status >= 200 && response.status < 300;
    const answer = readAnswer(response);
    const shaped = ok ? projectOutput(answer.data, tool.definition.output) : answer.data;
    // A projection only removes members, so the bound holds for what it keeps too.
    const capped = answer.maxJsonBytes !== undefined && answer.maxJsonBytes <= this.#outputMaxBytes ? UNCUT(shaped) : capOutput(shaped, this.#outputMaxBytes);
    const note = answer.cut
      ? `toolproxy read only the first ${this.#responseMaxBytes} bytes of the upstream answer (TOOLPROXY_TOOL_RESPONSE_MAX_BYTES).${capped.note ? ` ${capped.note}` : ''}`
      : capped.note;
    const retryAfter = response.status === 429 || response.status === 503 ? retryAfterSeconds(response.headers['retry-after'], this.#clock()) : undefined;
    return {
      executionId,
      tool,
      status: response.status,
      ok,
      data: capped.value,
      truncated: answer.cut || capped.truncated,
      ...(note === undefined ? {} : { note }),
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    };
  }
}

/** A refusal from the pipeline, with the execution id (the request log has it) and, for an account to authorize, the link hint. */
function withExecution(error: unknown, executionId: string): unknown {
  // A subclass (ConcurrencyLimitError carries its Retry-After) is kept as it is.
  if (!isToolproxyError(error) || !error.expose || error.constructor !== ToolproxyError) return error;
  const details = typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details) ? error.details : {};
  const hint = NEEDS_AUTHORIZATION.has(error.code) ? { authorization_link: AUTHORIZATION_LINK_HINT } : {};
  return new ToolproxyError(error.code, { message: error.message, details: { ...details, ...hint, execution_id: executionId }, cause: error });
}
