import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApprovalsService } from '../../approvals/approvals-service.ts';
import type { ApprovalStatus } from '../../store/schema.ts';
import { ErrorBody, errorResponses, PageQuery, Timestamp } from '../schemas.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const STATUSES = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'EXECUTING', 'EXECUTED'] as const;
const Status = Type.Union(STATUSES.map((s) => Type.Literal(s)));

const Approval = Type.Object({
  id: Type.String({ examples: ['apr_Zk3…'] }),
  status: Status,
  connection_name: Type.String(),
  identifier: Type.String(),
  connected_account_id: Type.String(),
  method: Type.String(),
  path: Type.String({ description: 'Path and query under the connector proxy_url, as the caller sent it.' }),
  door: Type.String({ description: 'How the call came in: proxy, tool or mcp.' }),
  tool_name: Nullable(Type.String()),
  execution_id: Nullable(Type.String()),
  requested_by: Nullable(Type.String({ description: '`<type>:<id>` of who made the call.' })),
  rule: Type.String({ description: 'The policy rule that asked for approval.' }),
  caller_waiting: Type.Boolean({ description: 'The caller holds its request open: once approved, it runs the call (not the approver).' }),
  body_bytes: Type.Integer(),
  approval_url: Type.String({ description: 'Where a person decides it in the dashboard.' }),
  created_at: Timestamp,
  expires_at: Timestamp,
  decided_by: Nullable(Type.String()),
  decided_at: Nullable(Timestamp),
  executed_by: Nullable(Type.String()),
  executed_at: Nullable(Timestamp),
  result_status: Type.Union([Type.Integer(), Type.Null()], { description: 'What the call returned when it ran (the upstream status, or ours when it was refused).' }),
  result_error: Nullable(Type.String()),
});

const Headers = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));
const Encoding = Type.Union([Type.Literal('utf8'), Type.Literal('base64'), Type.Null()]);
const Execution = Type.Union([
  Type.Object({ status: Type.Integer(), headers: Headers, body: Nullable(Type.String()), body_encoding: Encoding, truncated: Type.Boolean() }),
  Type.Object({ status: Type.Integer(), error: Type.Object({ code: Type.String(), message: Type.String() }) }),
]);
const DecisionResponse = Type.Object({
  approval: Approval,
  execution: Type.Union([Execution, Type.Null()], {
    description: 'The call\'s answer when this request ran it; null when it was denied or its waiting caller runs it.',
  }),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
/** A decision also answers APPROVAL_DENIED (403, executing a denied one) and APPROVAL_EXPIRED (410). */
const decisionErrors = { ...errorResponses, 403: Type.Ref(ErrorBody), 410: Type.Ref(ErrorBody) };

/** Human approval (docs/approvals.md): list, read, approve, deny, and run an approved call nobody ran. */
export function approvalRoutes(app: FastifyInstance, approvals: ApprovalsService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['approvals'];

  api.get(
    '/api/v1/approvals',
    {
      schema: {
        tags,
        summary: 'List approvals (metadata only: never a body or a header value)',
        querystring: Type.Object({ status: Type.Optional(Status), ...PageQuery }),
        response: { 200: Type.Object({ approvals: Type.Array(Approval), next_page_token: Nullable(Type.String()) }), ...errorResponses },
      },
    },
    async (request) => {
      const page = await approvals.list({ status: request.query.status as ApprovalStatus | undefined, pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null });
      return { approvals: page.items, next_page_token: page.nextPageToken };
    },
  );

  api.get(
    '/api/v1/approvals/:id',
    {
      schema: {
        tags,
        summary: 'Get an approval and the call it holds (headers and body as they would go upstream; the credentials go in only when it runs)',
        params: IdParams,
        response: {
          200: Type.Object({
            approval: Approval,
            request: Type.Object({
              retained: Type.Boolean({ description: 'False once the call ran, was denied or expired: its headers and body were deleted.' }),
              headers: Headers,
              body: Nullable(Type.String()),
              body_encoding: Encoding,
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => approvals.get(request.params.id),
  );

  api.post(
    '/api/v1/approvals/:id/approve',
    {
      schema: {
        tags,
        summary: 'Approve: the call runs once, in this request (its answer is in execution) or in its waiting caller\'s',
        params: IdParams,
        response: { 200: DecisionResponse, ...decisionErrors },
      },
    },
    async (request) => approvals.approve(request.params.id, request.actor ?? null),
  );

  api.post(
    '/api/v1/approvals/:id/deny',
    { schema: { tags, summary: 'Deny: the call never runs; a waiting caller gets APPROVAL_DENIED', params: IdParams, response: { 200: DecisionResponse, ...decisionErrors } } },
    async (request) => approvals.deny(request.params.id, request.actor ?? null),
  );

  api.post(
    '/api/v1/approvals/:id/execute',
    {
      schema: {
        tags,
        summary: 'Run an approved call nobody ran (its waiting caller left or its server stopped); at most once',
        params: IdParams,
        response: { 200: DecisionResponse, ...decisionErrors },
      },
    },
    async (request) => approvals.execute(request.params.id, request.actor ?? null),
  );
}
