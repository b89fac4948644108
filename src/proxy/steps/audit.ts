import { SYSTEM_ACTOR, type UnchainedEntry } from '../../audit/audit-entry.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import type { Call } from '../call.ts';
import type { PipelineStep } from '../pipeline.ts';

const bounded = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * The pipeline's audit step (docs/audit.md), right after admit: `run` applies the trail's
 * back-pressure (a full queue holds the call, then refuses it with AUDIT_UNAVAILABLE before any
 * account is read or anything is sent); `finish` records the call, whatever happened, exactly once:
 * `proxy.call` for `/proxy`, `tool.call` for tool execution and MCP. Never the path, the headers,
 * the body or a query value: a path can carry a key (`/bot<token>/…`), the request log keeps it.
 */
export class AuditStep implements PipelineStep {
  readonly name = 'audit';
  readonly #trail: AuditTrail;

  constructor(trail: AuditTrail) {
    this.#trail = trail;
  }

  run(_call: Call): void | Promise<void> {
    return this.#trail.admit();
  }

  finish(call: Call): void {
    const record = call.record;
    // A refusal by this very step was not admitted: nothing was used, and there is no room for it.
    if (record.errorCode === 'AUDIT_UNAVAILABLE') return;
    const actor = record.actor ?? SYSTEM_ACTOR;
    const account = call.account;
    const connection = bounded(account?.connectionName ?? record.connectionName);
    // Canonical details (keys sorted), built directly: this runs once per proxied call.
    const details: Record<string, string> = { connection };
    if (record.door !== 'proxy') details.door = record.door;
    if (record.executionId !== null) details.execution = bounded(record.executionId);
    details.method = record.method.length > 20 ? record.method.slice(0, 20) : record.method;
    if (record.toolName !== null) details.tool = bounded(record.toolName);
    const entry: UnchainedEntry = {
      at: record.startedAt,
      actor_type: actor.type,
      actor_id: bounded(actor.id),
      action: record.door === 'proxy' ? 'proxy.call' : 'tool.call',
      target_type: account === undefined ? 'connection' : 'connected_account',
      target_id: account === undefined ? connection : account.accountId,
      outcome: record.errorCode ?? 'ok',
      status: record.status,
      details: JSON.stringify(details),
    };
    this.#trail.recordEntry(entry);
  }
}
