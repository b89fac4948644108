import type { AccountRef } from '../accounts/accounts-service.ts';
import { type Problem, ToolproxyError } from '../errors.ts';

/**
 * Reading the SDK's request messages. Proto3 optional strings are only set by the SDK when
 * truthy, so an absent field and `""` mean the same thing here.
 */

export function given(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * A parameter the reference has and we do not: refused by name, never silently ignored, because
 * ignoring a filter or a scope would hand the caller more (or other) accounts than it asked for.
 */
export function refuseUnsupported(fields: Record<string, string | undefined | boolean>, reason: string): void {
  const problems: Problem[] = Object.entries(fields)
    .filter(([, value]) => value === true || (typeof value === 'string' && value !== ''))
    .map(([name]) => ({ path: `/${name}`, message: reason }));
  if (problems.length > 0) throw new ToolproxyError('NOT_SUPPORTED', { message: `Not supported: ${problems.map((p) => p.path.slice(1)).join(', ')}. ${reason}`, details: { problems } });
}

/** The reference's organization/user scope as the services take it (account-scope.ts). */
export function scopeOf(req: { organizationId?: string | undefined; userId?: string | undefined }): { organizationId?: string; userId?: string } {
  return { ...(given(req.organizationId) ? { organizationId: req.organizationId } : {}), ...(given(req.userId) ? { userId: req.userId } : {}) };
}

/** `id`, or `connector` (the connection name) with `identifier`, as the SDK's get/update/delete send them. */
export function accountRef(req: { id?: string | undefined; connector?: string | undefined; identifier?: string | undefined; organizationId?: string | undefined; userId?: string | undefined }): AccountRef {
  if (given(req.id)) return { id: req.id, ...scopeOf(req) };
  return { ...accountKey(req), ...scopeOf(req) };
}

/** Create and get-or-create need the pair (the SDK checks too, but other clients may not). */
export function accountKey(req: { connector?: string | undefined; identifier?: string | undefined }): { connectionName: string; identifier: string } {
  if (given(req.connector) && given(req.identifier)) return { connectionName: req.connector, identifier: req.identifier };
  const problems: Problem[] = [];
  if (!given(req.connector)) problems.push({ path: '/connector', message: 'send the connection name (connectionName in the SDK)' });
  if (!given(req.identifier)) problems.push({ path: '/identifier', message: "send your application's id for the user" });
  throw new ToolproxyError('VALIDATION_FAILED', { details: { problems } });
}

/** Page sizes as the reference bounds them; 0 (proto3's "unset") means our default. */
export function pageSize(value: number, max: number, fallback: number): number {
  if (value === 0) return fallback;
  if (value > max) throw new ToolproxyError('VALIDATION_FAILED', { details: { problems: [{ path: '/page_size', message: `must be at most ${max}` }] } });
  return value;
}
