import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../src/compat/descriptors.ts';
import { grpcCodeOf, toConnectError } from '../../src/compat/grpc-errors.ts';
import { ERROR_CATALOGUE, type ErrorCode, ToolproxyError } from '../../src/errors.ts';

/** Our error catalogue as gRPC statuses: what the SDK turns into its exception classes. */

test('maps the codes the SDK depends on to the statuses it expects', () => {
  const expected: Array<[ErrorCode, Code]> = [
    ['ACCOUNT_NOT_FOUND', Code.NotFound], // ScalekitNotFoundException: getOrCreate then creates
    ['CONNECTION_NOT_FOUND', Code.NotFound],
    ['AUTH_REQUEST_NOT_FOUND', Code.NotFound],
    ['VALIDATION_FAILED', Code.InvalidArgument],
    ['INVALID_FIELD', Code.InvalidArgument],
    ['UNAUTHENTICATED', Code.Unauthenticated], // the SDK fetches a token and retries
    ['TOKEN_EXPIRED', Code.Unauthenticated],
    ['ACCOUNT_EXISTS', Code.AlreadyExists],
    ['CONNECTION_EXISTS', Code.AlreadyExists],
    ['ACCOUNT_NOT_ACTIVE', Code.FailedPrecondition],
    ['ACCOUNT_EXPIRED', Code.FailedPrecondition],
    ['USER_VERIFICATION_MISMATCH', Code.PermissionDenied],
    ['REDIRECT_URL_NOT_ALLOWED', Code.InvalidArgument],
    ['NOT_SUPPORTED', Code.Unimplemented],
    ['STORE_UNAVAILABLE', Code.Unavailable], // the SDK backs off and retries
    ['INTERNAL_ERROR', Code.Internal],
  ];
  for (const [code, grpc] of expected) assert.equal(grpcCodeOf(code), grpc, code);
});

test('every catalogue code has a deliberate status (none falls through to UNKNOWN)', () => {
  for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) assert.notEqual(grpcCodeOf(code), Code.Unknown, code);
});

test('a 5xx never sends its cause, a 4xx sends message, code and every problem', () => {
  const hidden = toConnectError(new ToolproxyError('INTERNAL_ERROR', { message: 'db password is hunter2', details: { problems: [{ path: '/x', message: 'y' }] } }));
  assert.equal(hidden.code, Code.Internal);
  assert.equal(hidden.rawMessage, ERROR_CATALOGUE.INTERNAL_ERROR[1]);
  assert.deepEqual(hidden.findDetails(ErrorInfoSchema).map((d) => [d.errorCode, d.validationErrorInfo]), [['INTERNAL_ERROR', undefined]]);

  const problems = [
    { path: '/api_key', message: 'is required' },
    { path: '/domain', message: 'must be a host name' },
  ];
  const shown = toConnectError(new ToolproxyError('INVALID_FIELD', { details: { problems } }));
  assert.equal(shown.code, Code.InvalidArgument);
  assert.equal(shown.rawMessage, ERROR_CATALOGUE.INVALID_FIELD[1]);
  const [info] = shown.findDetails(ErrorInfoSchema);
  assert.equal(info?.errorCode, 'INVALID_FIELD');
  assert.deepEqual(info?.validationErrorInfo?.fieldViolations.map((v) => [v.field, v.description]), problems.map((p) => [p.path, p.message]));
});

test('an error that is not ours becomes INTERNAL with the generic message', () => {
  const mapped = toConnectError(new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2'));
  assert.equal(mapped.code, Code.Internal);
  assert.equal(mapped.rawMessage, ERROR_CATALOGUE.INTERNAL_ERROR[1]);
  assert.equal(mapped.findDetails(ErrorInfoSchema)[0]?.errorCode, 'INTERNAL_ERROR');
});

test("connect's own errors (deadline, size limit) pass through unchanged", () => {
  const own = new ConnectError('deadline exceeded', Code.DeadlineExceeded);
  assert.equal(toConnectError(own), own);
});
