import type { ConsentView } from '../../authorization-server/authorization-requests.ts';
import { escapeHtml, page } from './html.ts';
import type { PageLook } from './theme.ts';

const SCOPE_TEXT: Record<string, string> = {
  'tools:read': 'See which tools are available to you',
  'tools:call': 'Run those tools with your connected accounts',
};

const STATUS_TEXT: Record<string, [string, string]> = {
  ACTIVE: ['connected', 'badge-success'],
  EXPIRED: ['expired', 'badge-warning'],
  PENDING_VERIFICATION: ['awaiting verification', 'badge-warning'],
};

/**
 * The consent page of the MCP authorization server: who is asking (the client, and where the
 * answer goes), for what (the config and its connections) and what it may do (the scopes).
 * MCP security best practices, "Confused Deputy": consent per client, naming it.
 */
export function mcpConsentPage(view: ConsentView, look: PageLook): string {
  const client = escapeHtml(view.client.name);
  const redirectHost = escapeHtml(new URL(view.redirectUri).host);
  const connections = view.connections
    .filter((c) => c.status !== 'CONNECTION_NOT_FOUND')
    .map((c) => {
      const [label, badge] = STATUS_TEXT[c.status] ?? ['not connected yet', 'badge-neutral'];
      return `<li>${escapeHtml(c.connectorName ?? c.connectionName)} <span class="badge ${badge}">${label}</span></li>`;
    });
  const origin = view.client.source === 'metadata_document' ? `identified by <code>${escapeHtml(view.client.id)}</code>` : 'registered itself with this server';
  return page(
    `Allow ${view.client.name}?`,
    `<h1>Allow ${client} to use ${escapeHtml(view.config.name)}?</h1>
<p class="lead">${client} wants to act for you through the MCP server <strong>${escapeHtml(view.config.name)}</strong>${view.config.description ? `: ${escapeHtml(view.config.description)}` : '.'}</p>
<p>It will be able to:</p>
<ul>${view.scopes.map((scope) => `<li>${escapeHtml(SCOPE_TEXT[scope] ?? scope)}</li>`).join('')}</ul>
${connections.length ? `<p>With these accounts:</p>\n<ul>${connections.join('')}</ul>` : ''}
<div class="alert alert-info"><p>${client} ${origin}${view.client.uri ? ` (${escapeHtml(new URL(view.client.uri).host)})` : ''}. If you allow it, you will be sent back to <strong>${redirectHost}</strong>. Only allow applications you trust.</p></div>
<form method="post">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="btn-secondary btn-block">Deny</button>
</form>`,
    look,
  );
}

/**
 * The page's headers: the hosted pages' CSP, with the client's redirect origin added to
 * form-action, since browsers apply form-action to the redirect that follows the form post.
 */
export function mcpConsentHeaders(view: ConsentView, look: PageLook): Record<string, string> {
  const origin = new URL(view.redirectUri).origin;
  const csp = look.headers['content-security-policy']!.replace("form-action 'self'", `form-action 'self' ${origin}`);
  return { ...look.headers, 'content-security-policy': csp };
}
