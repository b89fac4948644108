import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ToolproxyError } from '../../errors.ts';
import type { RequestLog } from '../../proxy/request-log.ts';
import type { RequestLogStatusFilter } from '../../store/repositories.ts';
import { errorResponses, Timestamp } from '../schemas.ts';

const MAX_BUCKETS = 2_000;

const Entry = Type.Object({
  id: Type.String({ description: 'Opaque, increasing; pass the last one as `before` for older entries.' }),
  created_at: Timestamp,
  connection_name: Type.String({ description: 'As the caller sent it (the call may have failed before it resolved).' }),
  identifier: Type.Union([Type.String(), Type.Null()], { description: "The account's identifier; null without an account or once it is deleted." }),
  account_id: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  path: Type.String({ description: 'Path after /proxy with query values removed: /v1/customers?limit=…' }),
  status: Type.Integer({ description: 'Status sent to the caller; 499 when the caller went away first.' }),
  latency_ms: Type.Number({ description: 'From the call arriving to the last response byte (ms).' }),
  bytes_in: Type.Integer(),
  bytes_out: Type.Integer(),
  error_code: Type.Union([Type.String(), Type.Null()], {
    description: 'Our error code (docs/errors.md), CLIENT_CLOSED, or null when the upstream answered in full.',
  }),
  door: Type.Union([Type.Literal('proxy'), Type.Literal('tool'), Type.Literal('mcp'), Type.Literal('approval')], {
    description: 'How the call came in: /proxy, tool execution, an MCP tools/call, or an approved call its approver ran (docs/approvals.md).',
  }),
  tool_name: Type.Union([Type.String(), Type.Null()], { description: 'The tool that rendered the call (tool and mcp calls).' }),
  execution_id: Type.Union([Type.String(), Type.Null()], { description: 'The tool execution this call belongs to.' }),
  actor: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()], {
    description: 'Who made the call, e.g. { "type": "api_client", "id": <client_id> }.',
  }),
});

const Bucket = Type.Object({
  start: Timestamp,
  count: Type.Integer(),
  errors: Type.Integer({ description: 'Calls answered 4xx/5xx or broken off after the status line.' }),
  p50_ms: Type.Union([Type.Number(), Type.Null()], { description: 'null for an empty bucket' }),
  p99_ms: Type.Union([Type.Number(), Type.Null()]),
});

/** `GET /api/v1/request_log` and `/stats`: the redacted record of proxy calls (DESIGN.md §7). */
export function requestLogRoutes(app: FastifyInstance, log: RequestLog): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['request log'];

  api.get(
    '/api/v1/request_log',
    {
      schema: {
        tags,
        summary: 'Latest proxy calls (through /proxy, tools and MCP), newest first (no headers, bodies or query values are ever recorded)',
        querystring: Type.Object({
          connection_name: Type.Optional(Type.String({ maxLength: 200 })),
          identifier: Type.Optional(Type.String({ maxLength: 255 })),
          account_id: Type.Optional(Type.String({ maxLength: 100 })),
          door: Type.Optional(Type.Union([Type.Literal('proxy'), Type.Literal('tool'), Type.Literal('mcp'), Type.Literal('approval'), Type.Literal('')])),
          tool_name: Type.Optional(Type.String({ maxLength: 200 })),
          execution_id: Type.Optional(Type.String({ maxLength: 100 })),
          status: Type.Optional(
            Type.String({ pattern: '^([1-5][0-9][0-9]|[1-5]xx|success|error)?$', description: 'A status (404), a class (5xx), success (< 400) or error (>= 400 or broken off).' }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          before: Type.Optional(Type.String({ pattern: '^[0-9]{0,18}$', description: 'next_before of the previous page.' })),
        }),
        response: { 200: Type.Object({ entries: Type.Array(Entry), next_before: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return log.list(
        {
          ...(q.before ? { before: Number(q.before) } : {}),
          ...(q.connection_name ? { connectionName: q.connection_name } : {}),
          ...(q.identifier ? { identifier: q.identifier } : {}),
          ...(q.account_id ? { accountId: q.account_id } : {}),
          ...(q.door ? { door: q.door } : {}),
          ...(q.tool_name ? { toolName: q.tool_name } : {}),
          ...(q.execution_id ? { executionId: q.execution_id } : {}),
          ...(q.status ? { status: statusFilter(q.status) } : {}),
        },
        q.limit ?? 50,
      );
    },
  );

  api.get(
    '/api/v1/request_log/stats',
    {
      schema: {
        tags,
        summary: 'Calls, errors and p50/p99 latency per time bucket over a recent window',
        querystring: Type.Object({
          window_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080, default: 60 })),
          bucket_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 60 })),
          connection_name: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Type.Object({ buckets: Type.Array(Bucket) }), ...errorResponses },
      },
    },
    async (request) => {
      const windowMs = (request.query.window_minutes ?? 60) * 60_000;
      const bucketMs = (request.query.bucket_seconds ?? 60) * 1000;
      if (Math.ceil(windowMs / bucketMs) > MAX_BUCKETS) {
        throw new ToolproxyError('VALIDATION_FAILED', {
          details: { problems: [{ path: '/querystring/bucket_seconds', message: `gives more than ${MAX_BUCKETS} buckets for this window; use larger buckets` }] },
        });
      }
      return { buckets: await log.stats(windowMs, bucketMs, request.query.connection_name || undefined) };
    },
  );
}

function statusFilter(value: string): RequestLogStatusFilter {
  if (value === 'error' || value === 'success') return { kind: value };
  if (value.endsWith('xx')) {
    const from = Number(value[0]) * 100;
    return { kind: 'range', from, to: from + 100 };
  }
  return { kind: 'exact', status: Number(value) };
}
