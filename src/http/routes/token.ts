import type { FastifyInstance } from 'fastify';
import type { ApiClientsService } from '../../clients/api-clients-service.ts';
import { ToolproxyError } from '../../errors.ts';
import { toToolproxyError } from '../error-handler.ts';

/**
 * `POST /oauth/token`, RFC 6749 §4.4 client credentials. Credentials in the form body
 * (client_secret_post) or in HTTP Basic (client_secret_basic, §2.3.1). Errors use the RFC 6749
 * §5.2 shape, because OAuth clients parse that, plus our stable `code`.
 */
export function tokenRoutes(app: FastifyInstance, clients: ApiClientsService): void {
  app.post(
    '/oauth/token',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange API client credentials for a short-lived bearer token',
        consumes: ['application/x-www-form-urlencoded'],
      },
      // What fails before the handler (an unreadable or oversized body, a content type no parser
      // takes) is answered in the §5.2 shape too: OAuth clients read `error`, not `error.code`.
      errorHandler: (error, request, reply) => {
        const mapped = toToolproxyError(error);
        if (mapped.statusCode >= 500) request.log.error({ err: error, code: mapped.code }, 'token request failed');
        else request.log.debug({ code: mapped.code }, 'token request refused');
        void reply
          .code(mapped.statusCode)
          .header('cache-control', 'no-store')
          .header('x-toolproxy-error', mapped.code)
          .send(oauthError(mapped.statusCode >= 500 ? 'server_error' : 'invalid_request', mapped));
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const fromBasic = basicCredentials(request.headers.authorization);
      const clientId = fromBasic?.clientId ?? body.client_id;
      const clientSecret = fromBasic?.clientSecret ?? body.client_secret;
      if (body.grant_type !== 'client_credentials') {
        return reply.code(400).header('x-toolproxy-error', 'UNSUPPORTED_GRANT_TYPE').send(oauthError('unsupported_grant_type', new ToolproxyError('UNSUPPORTED_GRANT_TYPE')));
      }
      if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || clientId.length > 200 || clientSecret.length > 500) {
        return reply.code(401).header('x-toolproxy-error', 'INVALID_CLIENT').send(oauthError('invalid_client', new ToolproxyError('INVALID_CLIENT')));
      }
      try {
        return await clients.issueToken(clientId, clientSecret);
      } catch (error) {
        if (error instanceof ToolproxyError && error.code === 'INVALID_CLIENT') {
          return reply.code(401).header('www-authenticate', 'Basic realm="toolproxy"').header('x-toolproxy-error', error.code).send(oauthError('invalid_client', error));
        }
        throw error;
      }
    },
  );
}

/** RFC 6749 §5.2 plus our stable code; a 5xx keeps its cause in the log (`toBody` hides it). */
function oauthError(error: string, cause: ToolproxyError) {
  return { error, error_description: cause.toBody().error.message, code: cause.code };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before base64. */
export function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}
