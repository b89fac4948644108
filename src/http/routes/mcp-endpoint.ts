import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { McpPrincipal } from '../../mcp/authenticator.ts';
import type { McpEndpoint } from '../../mcp/endpoint.ts';
import { ToolproxyError } from '../../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who an MCP request acts for (set before its body is read). */
    mcpPrincipal?: McpPrincipal;
  }
}

interface Params {
  configId: string;
}

/**
 * `POST|GET /mcp/:configId`: the Streamable HTTP MCP endpoint (src/mcp/endpoint.ts). The token is
 * checked in onRequest, before Fastify reads a body, so an unauthenticated caller cannot make the
 * server parse a megabyte; bodies over `bodyLimitBytes` are refused with 413.
 */
export async function mcpEndpointRoutes(app: FastifyInstance, endpoint: McpEndpoint, options: { bodyLimitBytes: number }): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => sendWeb(reply, endpoint.refusal(bodyError(error), { configId: (request.params as Params).configId })));
    scope.addHook('onRequest', async (request: FastifyRequest<{ Params: Params }>, reply) => {
      try {
        request.mcpPrincipal = await endpoint.admit(request.method, request.params.configId, request.headers);
      } catch (error) {
        return sendWeb(reply, endpoint.refusal(error, { configId: request.params.configId }));
      }
    });
    scope.route<{ Params: Params }>({
      method: ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'],
      url: '/mcp/:configId',
      bodyLimit: options.bodyLimitBytes,
      schema: { hide: true },
      handler: async (request, reply) => {
        const principal = request.mcpPrincipal!;
        // The client went away before its answer was written (a response's 'close' also follows a normal finish).
        const closed = new AbortController();
        reply.raw.once('close', () => reply.raw.writableFinished || closed.abort());
        try {
          const response =
            request.method === 'GET'
              ? await endpoint.openStream(principal, request.headers)
              : await endpoint.post(principal, request.body, request.headers, closed.signal);
          return await sendWeb(reply, response);
        } catch (error) {
          return sendWeb(reply, endpoint.refusal(error, { configId: principal.config.id }));
        }
      },
    });
  });
}

/** Fastify's body failures, as the MCP endpoint names them. */
function bodyError(error: FastifyError): unknown {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ToolproxyError('PAYLOAD_TOO_LARGE', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ToolproxyError('UNSUPPORTED_MEDIA_TYPE', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ToolproxyError('MCP_MALFORMED_MESSAGE', { cause: error });
    default:
      return error instanceof SyntaxError ? new ToolproxyError('MCP_MALFORMED_MESSAGE', { cause: error }) : error;
  }
}

/**
 * Writes a web `Response` (what the SDK's transport produces) to the Node response: buffered
 * bodies through Fastify, streams (the GET notification stream) by hijacking the reply and
 * copying chunks until the stream ends or the client leaves.
 */
async function sendWeb(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  const headers = Object.fromEntries(response.headers);
  if (!response.body || !headers['content-type']?.startsWith('text/event-stream')) {
    const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    return reply.code(response.status).headers(headers).send(body);
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(response.status, headers);
  raw.flushHeaders();
  const reader = response.body.getReader();
  raw.once('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      raw.write(value);
    }
  } catch {
    // The client went away mid-write; the stream is already cancelled.
  } finally {
    raw.end();
  }
  return reply;
}
