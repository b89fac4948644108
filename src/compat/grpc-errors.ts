import { Code, ConnectError } from '@connectrpc/connect';
import { ERROR_CATALOGUE, type ErrorCode, type Problem, ToolproxyError } from '../errors.ts';
import { ToolUpstreamError } from '../tools/tool-errors.ts';
import { ErrorInfoSchema } from './descriptors.ts';

/**
 * Our error codes as gRPC statuses. The SDK turns the status into its exception class
 * (`ScalekitServerException.promote`: 5 → ScalekitNotFoundException, which its get-or-create
 * path depends on; 16 → re-authenticate and retry; 14 → back off and retry) and reads our stable
 * code from the `ErrorInfo` detail as `errorCode`.
 */
const BY_HTTP_STATUS: Readonly<Record<number, Code>> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  // 408 and 431 (and CONNECT's 405) are refusals of the HTTP/1.1 parser (src/http/client-errors.ts); gRPC never sees them.
  408: Code.DeadlineExceeded,
  409: Code.FailedPrecondition,
  410: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  405: Code.Unimplemented,
  414: Code.InvalidArgument,
  415: Code.InvalidArgument,
  422: Code.InvalidArgument,
  // A tool's upstream refused (ToolUpstreamError carries its own mapping, see toolError).
  424: Code.FailedPrecondition,
  429: Code.ResourceExhausted,
  431: Code.ResourceExhausted,
  500: Code.Internal,
  501: Code.Unimplemented,
  // Not Unavailable: the SDK retries 14 with backoff, and a provider error is not transient.
  502: Code.Internal,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/** Where one HTTP status holds codes that gRPC tells apart (409: exists vs. wrong state). */
const OVERRIDES: Partial<Record<ErrorCode, Code>> = {
  ACCOUNT_EXISTS: Code.AlreadyExists,
  CONNECTION_EXISTS: Code.AlreadyExists,
};

export function grpcCodeOf(code: ErrorCode): Code {
  return OVERRIDES[code] ?? BY_HTTP_STATUS[ERROR_CATALOGUE[code][0]] ?? Code.Unknown;
}

/**
 * A ToolproxyError as the SDK expects an error: status + `grpc-message` + a
 * `google.rpc.Status` in `grpc-status-details-bin` carrying `scalekit.v1.errdetails.ErrorInfo`
 * (wire notes §7). Validation problems travel as `ErrorInfo.validation_error_info`. Anything
 * that is not ours becomes INTERNAL with the catalogue message; the caller logs the cause.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof ToolUpstreamError) return toolError(error);
  const known = error instanceof ToolproxyError ? error : new ToolproxyError('INTERNAL_ERROR', { cause: error });
  const message = known.expose ? known.message : ERROR_CATALOGUE[known.code][1];
  const problems = known.expose ? problemsOf(known.details) : [];
  return new ConnectError(message, grpcCodeOf(known.code), undefined, [
    {
      desc: ErrorInfoSchema,
      value: {
        errorCode: known.code,
        ...(problems.length > 0
          ? { validationErrorInfo: { fieldViolations: problems.map((p) => ({ field: p.path, description: p.message })) } }
          : {}),
      },
    },
  ]);
}

/** The SDK's typed tool exceptions: 16 unauthorized, 7 forbidden, 8 rate limit, anything else a tool exception. */
function toolGrpcCode(status: number): Code {
  if (status === 401) return Code.Unauthenticated;
  if (status === 403) return Code.PermissionDenied;
  if (status === 429) return Code.ResourceExhausted;
  if (status === 404) return Code.NotFound;
  if (status === 400 || status === 422) return Code.InvalidArgument;
  if (status === 409) return Code.FailedPrecondition;
  return status >= 500 ? Code.Internal : Code.FailedPrecondition;
}

const MAX_TOOL_MESSAGE = 4096;

/**
 * An upstream failure of a tool (wire notes §7): `ErrorInfo.error_code` is `TOOL_ERROR`, so the
 * SDK neither retries nor re-authenticates, and `tool_error_info` carries the upstream status
 * (`tool_error_code`), its answer (`tool_error_message`) and the execution id.
 */
function toolError(error: ToolUpstreamError): ConnectError {
  const body = (error.details as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  return new ConnectError(`${error.message} (${error.code})`, toolGrpcCode(error.upstreamStatus), undefined, [
    {
      desc: ErrorInfoSchema,
      value: {
        errorCode: 'TOOL_ERROR',
        toolErrorInfo: { executionId: error.executionId, toolErrorCode: String(error.upstreamStatus), toolErrorMessage: text.slice(0, MAX_TOOL_MESSAGE) },
      },
    },
  ]);
}

function problemsOf(details: unknown): Problem[] {
  const problems = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return [];
  return problems.filter((p): p is Problem => typeof p?.path === 'string' && typeof p?.message === 'string');
}
