/**
 * Who did something: the request log now, policies, approvals and the audit trail later (the
 * shared decision of issue 14). `id` is the API client's `client_id`, the MCP client's id, the
 * dashboard user, the hosted link's id, or the name of a system task.
 */
export interface Actor {
  readonly type: 'api_client' | 'hosted_link' | 'dashboard' | 'mcp_client' | 'system';
  readonly id: string;
}
