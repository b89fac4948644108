/**
 * Issue 14's bench line, "guardrails on against off": the same server as `toolproxy`, with a
 * policy on its `bench` connection that every call is checked against (methods, an allow and two
 * deny globs, a body cap and a rate limit far above the load, so every call passes every rule).
 * The audit trail is on in every server; this one also has a webhook endpoint for every event
 * (its delivery worker polls the outbox; no proxied call makes an event, so nothing is sent).
 */
export const GUARDED = 'toolproxy (guardrails on)';

export const BENCH_POLICY = {
  allowed_methods: ['GET', 'POST'],
  paths: { allow: ['/v1/**'], deny: ['/v1/admin/**', '/v1/internal/*/keys'] },
  max_request_body_bytes: 1_048_576,
  rate_limit: { requests: 1_000_000, per_seconds: 1 },
};

/** Sets the policy and registers a webhook endpoint through the API, as an operator would. */
export async function applyGuardrails(baseUrl: string, token: string, webhookUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/api/v1/connections/bench/policy`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_POLICY),
  });
  if (response.status !== 200) throw new Error(`guardrails: setting the policy got HTTP ${response.status}: ${await response.text()}`);
  const webhook = await fetch(`${baseUrl}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: webhookUrl, description: 'bench' }),
  });
  if (webhook.status !== 201) throw new Error(`guardrails: registering a webhook endpoint got HTTP ${webhook.status}: ${await webhook.text()}`);
}
