import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Problem, ToolproxyError } from '../errors.ts';

/** Maps every failure to the one error body. Causes of 5xx stay in the log, never in the response. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ToolproxyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toToolproxyError(error);
    if (mapped.statusCode >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
    else request.log.debug({ code: mapped.code }, 'request refused');
    void reply.code(mapped.statusCode).header('x-toolproxy-error', mapped.code).send(mapped.toBody());
  });

  app.setNotFoundHandler((_request, reply) => {
    const error = new ToolproxyError('ROUTE_NOT_FOUND');
    void reply.code(error.statusCode).header('x-toolproxy-error', error.code).send(error.toBody());
  });
}

export function toToolproxyError(error: unknown): ToolproxyError {
  if (error instanceof ToolproxyError) return error;
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    const problems: Problem[] = fastifyError.validation.map((issue) => ({
      path: `/${fastifyError.validationContext ?? 'body'}${issue.instancePath}`,
      message: issue.message ?? 'is invalid',
    }));
    return new ToolproxyError('VALIDATION_FAILED', { details: { problems }, cause: error });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ToolproxyError('MALFORMED_JSON', { cause: error });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ToolproxyError('PAYLOAD_TOO_LARGE', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ToolproxyError('UNSUPPORTED_MEDIA_TYPE', { cause: error });
    default:
      break;
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return new ToolproxyError('MALFORMED_JSON', { cause: error });
  if (fastifyError.statusCode === 400 && typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_ERR_CTP')) {
    return new ToolproxyError('VALIDATION_FAILED', { message: fastifyError.message, cause: error });
  }
  return new ToolproxyError('INTERNAL_ERROR', { cause: error });
}
