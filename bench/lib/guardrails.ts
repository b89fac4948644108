/**
 * Issue 14's bench line, "guardrails on against off": the same server as `toolproxy`, with a
 * policy on its `bench` connection that every call is checked against (methods, an allow and two
 * deny globs, a body cap and a rate limit far above the load, so every call passes every rule).
 * The audit trail and a webhook endpoint join this server when they land.
 */
export const GUARDED = 'toolproxy (guardrails on)';

export const BENCH_POLICY = {
  allowed_methods: ['GET', 'POST'],
  paths: { allow: ['/v1/**'], deny: ['/v1/admin/**', '/v1/internal/*/keys'] },
  max_request_body_bytes: 1_048_576,
  rate_limit: { requests: 1_000_000, per_seconds: 1 },
};

/** Sets the policy through the API, as an operator would. */
export async function applyGuardrails(baseUrl: string, token: string): Promise<void> {
  const response = await fetch(`${baseUrl}/api/v1/connections/bench/policy`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_POLICY),
  });
  if (response.status !== 200) throw new Error(`guardrails: setting the policy got HTTP ${response.status}: ${await response.text()}`);
}
