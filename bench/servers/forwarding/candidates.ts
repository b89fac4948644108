import { agentPipeline } from './agent-pipeline.ts';
import type { Forwarder } from './forwarder.ts';
import { nodeHttp } from './node-http.ts';
import { poolDispatch } from './pool-dispatch.ts';
import { poolDispatchController } from './pool-dispatch-controller.ts';
import { poolRequest } from './pool-request.ts';
import { poolStream } from './pool-stream.ts';

/** Every yardstick candidate by name (bench/README.md: which one is THE yardstick, and why). */
export const CANDIDATES: Record<string, (base: URL) => Forwarder> = {
  'pool-dispatch': poolDispatch,
  'pool-dispatch-controller': poolDispatchController,
  'pool-request': poolRequest,
  'pool-stream': poolStream,
  'node-http': nodeHttp,
  'agent-pipeline': agentPipeline,
};

/** The fastest candidate in head-to-head rounds (bench/README.md), used by `npm run bench`. */
export const YARDSTICK = 'pool-dispatch';
