import type { Change } from '../changes.ts';

/** The one channel every instance sharing a Postgres database LISTENs on. */
export const CHANGES_CHANNEL = 'toolproxy_changes';

/** Postgres refuses a NOTIFY payload of 8000 bytes or more (the default build). */
export const MAX_PAYLOAD_BYTES = 7999;

/** A change as another instance announced it; `instance` tells an instance its own echoes. */
export interface ChangeMessage {
  instance: string;
  change: Change;
}

/**
 * The NOTIFY payload: who sent it and what to drop, never a secret (anyone who may LISTEN on the
 * database can read it). An account whose name and identifier do not fit is announced as a
 * config change: dropping every cached entry is never stale, only slower for a moment.
 */
export function encodeChange(change: Change, instance: string): string {
  if (change.kind === 'account') {
    const payload = JSON.stringify({ instance, kind: 'account', connection: change.connectionName, identifier: change.identifier });
    if (Buffer.byteLength(payload, 'utf8') <= MAX_PAYLOAD_BYTES) return payload;
  }
  if (change.kind === 'approval') return JSON.stringify({ instance, kind: 'approval', approval: change.approvalId.slice(0, 200) });
  if (change.kind === 'mcp_config') return JSON.stringify({ instance, kind: 'mcp_config', config: change.configId.slice(0, 200) });
  if (change.kind === 'policy') return JSON.stringify({ instance, kind: 'policy' });
  return JSON.stringify({ instance, kind: 'config' });
}

/** The change a payload announces, or undefined when it is not one of ours (to be ignored). */
export function decodeChange(payload: string): ChangeMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { instance, kind, connection, identifier, config, approval } = parsed as Record<string, unknown>;
  if (typeof instance !== 'string' || instance === '') return undefined;
  if (kind === 'config') return { instance, change: { kind: 'config' } };
  if (kind === 'policy') return { instance, change: { kind: 'policy' } };
  if (kind === 'approval' && typeof approval === 'string') return { instance, change: { kind: 'approval', approvalId: approval } };
  if (kind === 'mcp_config' && typeof config === 'string') return { instance, change: { kind: 'mcp_config', configId: config } };
  if (kind === 'account' && typeof connection === 'string' && typeof identifier === 'string') {
    return { instance, change: { kind: 'account', connectionName: connection, identifier } };
  }
  return undefined;
}
