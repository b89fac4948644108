import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, type Problem, ToolproxyError } from '../errors.ts';

/** Maps every failure to the one error body. Causes of 5xx stay in the log, never in the response. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ToolproxyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toToolproxyError(error);
    // A tool's upstream failing is not ours, and its details hold the upstream's answer, which is never logged.
    if (mapped.statusCode >= 500 && mapped.code !== 'TOOL_UPSTREAM_FAILED') request.log.error({ err: error, code: mapped.code }, 'request failed');
    else request.log.debug({ code: mapped.code }, 'request refused');
    void reply.code(mapped.statusCode).header('x-toolproxy-error', mapped.code).send(mapped.toBody());
  });

  app.setNotFoundHandler((_request, reply) => {
    const error = new ToolproxyError('ROUTE_NOT_FOUND');
    void reply.code(error.statusCode).header('x-toolproxy-error', error.code).send(error.toBody());
  });
}

/**
 * Fastify's `frameworkErrors`: the router refuses a URL before any route or hook runs (a bad
 * percent-encoding such as `/api/v1/connections/%`, a path parameter over `maxParamLength`).
 * They get the documented error shape and a log line below error level: the client erred.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = error.code === 'FST_ERR_BAD_URL'
    ? new ToolproxyError('INVALID_URL', { cause: error })
    : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ToolproxyError('URL_TOO_LONG', { cause: error })
      : toToolproxyError(error);
  if (mapped.statusCode >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
  else request.log.info({ code: mapped.code }, 'request refused');
  void reply.code(mapped.statusCode).header('x-toolproxy-error', mapped.code).send(mapped.toBody());
}

/** Codes for client errors that plugins raise with only an HTTP status (http-errors style). */
const BY_CLIENT_STATUS: Readonly<Record<number, ErrorCode>> = {
  404: 'ROUTE_NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URL_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

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
  // Any other 4xx a framework or plugin raised is the client's error, never a 500 of ours.
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ToolproxyError(BY_CLIENT_STATUS[status] ?? 'VALIDATION_FAILED', { cause: error });
  }
  return new ToolproxyError('INTERNAL_ERROR', { cause: error });
}
