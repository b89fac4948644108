import type { TokenRefresher } from '../../accounts/token-refresher.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import type { Clock } from '../../clock.ts';
import type { AccountResolver } from '../account-resolver.ts';
import type { ConcurrencyLimiter } from '../concurrency-limiter.ts';
import type { Forwarder } from '../forwarder.ts';
import type { ProxyMetrics } from '../metrics.ts';
import { type PipelineLog, type PipelineStep, ProxyPipeline } from '../pipeline.ts';
import type { RequestLog } from '../request-log.ts';
import type { UsageRecorder } from '../usage-recorder.ts';
import { AdmitStep } from './admit.ts';
import { AuditStep } from './audit.ts';
import { ForwardStep } from './forward.ts';
import { InjectStep } from './inject.ts';
import { LimitsStep } from './limits.ts';
import { RecordStep } from './record.ts';
import { RelayStep } from './relay.ts';
import { ResolveStep } from './resolve.ts';

export interface StepDeps {
  resolver: AccountResolver;
  forwarder: Forwarder;
  usage: UsageRecorder;
  refresher?: TokenRefresher | undefined;
  refreshWindowMs: number;
  clock: Clock;
  userAgent?: string | undefined;
  /** P19; absent when both limits are off (nothing to count, no step). */
  limiter?: ConcurrencyLimiter | undefined;
  requestLog?: RequestLog | undefined;
  /** Issue 14's human approval (src/approvals/approval-step.ts), built by the server; absent: no step. */
  approval?: PipelineStep | undefined;
  /** The audit trail (src/audit): one entry per call, and back-pressure when it cannot keep up. */
  audit?: AuditTrail | undefined;
  metrics?: ProxyMetrics | undefined;
  log: PipelineLog;
  /** The policy step (src/policy/policy-step.ts), built by the server; absent in tests that need none. */
  policy?: PipelineStep | undefined;
}

/** The pipeline's steps as the server runs them, in order (see pipeline.ts for each one's job). */
export function standardSteps(deps: StepDeps): PipelineStep[] {
  const inject = new InjectStep(deps);
  return [
    new AdmitStep(),
    ...(deps.audit === undefined ? [] : [new AuditStep(deps.audit)]),
    new ResolveStep(deps.resolver),
    // After resolve, before anything is taken, read or sent.
    ...(deps.policy === undefined ? [] : [deps.policy]),
    // approval (issue 14), after policy: holds or refuses a call a rule says needs a person's approval.
    ...(deps.approval === undefined ? [] : [deps.approval]),
    ...(deps.limiter === undefined ? [] : [new LimitsStep(deps.limiter)]),
    inject,
    new ForwardStep({ forwarder: deps.forwarder, usage: deps.usage, inject, clock: deps.clock }),
    new RelayStep(deps.log),
    new RecordStep(deps),
  ];
}

/** The pipeline as the server runs it: the standard steps, the total deadline (P13). */
export function createProxyPipeline(deps: StepDeps & { totalTimeoutMs: number }): ProxyPipeline {
  return new ProxyPipeline({ steps: standardSteps(deps), clock: deps.clock, totalTimeoutMs: deps.totalTimeoutMs, log: deps.log });
}
