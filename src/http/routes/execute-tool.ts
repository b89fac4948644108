import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ConcurrencyLimitError } from '../../proxy/concurrency-limiter.ts';
import { upstreamError } from '../../tools/tool-errors.ts';
import type { ToolExecutor } from '../../tools/tool-executor.ts';
import { toolTarget } from '../../tools/tool-target.ts';
import { errorResponses } from '../schemas.ts';

const Id = (description: string) => Type.Optional(Type.String({ maxLength: 255, description }));

const ExecuteBody = Type.Object(
  {
    tool_name: Type.String({ minLength: 1, maxLength: 200, description: 'The tool to run (GET /api/v1/tools/scoped lists what an identifier can call).' }),
    params: Type.Optional(Type.Unknown({ description: "The tool's input: an object matching its input_schema." })),
    connected_account_id: Id('The connected account to run it with (ca_…); or connection_name (connector) and identifier.'),
    connection_name: Id('The connection whose account for identifier runs it.'),
    connector: Id('The reference name for connection_name.'),
    identifier: Id("Your application's id for the user."),
    organization_id: Id('When given, the account must have been created with it.'),
    user_id: Id('When given, the account must have been created with it.'),
    agent_run_id: Id('Accepted for compatibility with the reference; not used.'),
  },
  { additionalProperties: false },
);

const ExecuteResult = Type.Object({
  data: Type.Unknown({ description: "The upstream's answer, projected by the tool's output and capped at TOOLPROXY_TOOL_OUTPUT_MAX_BYTES." }),
  execution_id: Type.String({ description: 'This execution, as the request log shows it (ex_…).' }),
  truncated: Type.Optional(Type.Literal(true, { description: 'Present only when the answer was cut.' })),
  truncation_note: Type.Optional(Type.String({ description: 'What was cut, in words: pass it on with the data.' })),
});

/** `POST /api/v1/execute_tool` (reference ExecuteTool): runs a tool with a connected account; docs/tools.md. */
export function executeToolRoutes(app: FastifyInstance, executor: ToolExecutor): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/v1/execute_tool',
    {
      // As /proxy: a child logger per request costs more than the rest of Fastify's work on a hot path.
      childLoggerFactory: (logger) => logger,
      schema: {
        tags: ['tools'],
        summary: "Run a tool with a user's connected account: input validated, request sent through the proxy, answer projected and capped",
        body: ExecuteBody,
        response: {
          200: ExecuteResult,
          ...errorResponses,
          424: Type.Ref('ErrorBody'),
          429: Type.Ref('ErrorBody'),
          502: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const target = toolTarget(body);
      // The caller left: the upstream call is aborted (and recorded as such).
      const response = reply.raw;
      const watchCaller = (callerGone: () => void) => {
        const onClose = () => {
          if (!response.writableFinished) callerGone();
        };
        response.once('close', onClose);
        return () => response.off('close', onClose);
      };
      try {
        const result = await executor.execute({ toolName: body.tool_name, params: body.params, target, door: 'tool', actor: request.actor ?? null, watchCaller });
        if (!result.ok) {
          const error = upstreamError(result);
          if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
          throw error;
        }
        return {
          data: result.data,
          execution_id: result.executionId,
          ...(result.truncated ? { truncated: true as const, truncation_note: result.note ?? 'toolproxy cut this answer.' } : {}),
        };
      } catch (error) {
        if (error instanceof ConcurrencyLimitError) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }
    },
  );
}
