import './styles/theme.css';
import './styles/dashboard.css';
import { whenSignedOut } from './api.ts';
import { brandName, loadBrand } from './brand.ts';
import { renderShell } from './layout.ts';
import { renderAccounts } from './pages/accounts.ts';
import { renderApproval, renderApprovals } from './pages/approvals.ts';
import { renderConnections } from './pages/connections.ts';
import { renderConnectorEditor } from './pages/connector-editor.ts';
import { renderConnectors } from './pages/connectors.ts';
import { renderMcp, renderMcpEditor } from './pages/mcp.ts';
import { renderRequestLog } from './pages/request-log.ts';
import { renderSignIn } from './pages/sign-in.ts';
import { renderTool, renderTools } from './pages/tools.ts';
import { currentPath, match, navigate, type Route } from './router.ts';
import { currentSession } from './session.ts';
import { errorBox } from './ui/feedback.ts';

const ROUTES: Route[] = [
  { pattern: '/connectors', title: 'Connectors', page: renderConnectors },
  { pattern: '/connectors/new', title: 'New connector', page: renderConnectorEditor },
  { pattern: '/connectors/:identifier/edit', title: 'Edit connector', page: renderConnectorEditor },
  { pattern: '/connectors/:identifier/tools', title: 'Tools', page: renderTools },
  { pattern: '/connectors/:identifier/tools/:name', title: 'Tool', page: renderTool },
  { pattern: '/connections', title: 'Connections', page: renderConnections },
  { pattern: '/accounts', title: 'Connected accounts', page: renderAccounts },
  { pattern: '/mcp', title: 'MCP servers', page: renderMcp },
  { pattern: '/mcp/:id/edit', title: 'Edit MCP server', page: renderMcpEditor },
  { pattern: '/requests', title: 'Request log', page: renderRequestLog },
  { pattern: '/approvals', title: 'Approvals', page: renderApprovals },
  { pattern: '/approvals/:id', title: 'Approval', page: renderApproval },
];

const root = document.getElementById('app') as HTMLElement;
let shell: ReturnType<typeof renderShell> | undefined;
let running: AbortController | undefined;
let lastPath: string | undefined;

function showSignIn(notice?: string): void {
  shell = undefined;
  lastPath = undefined;
  running?.abort();
  document.title = `Sign in · ${brandName()}`;
  renderSignIn(root, () => void render(), notice);
}

async function render(): Promise<void> {
  const path = currentPath();
  if (!currentSession()) return showSignIn();
  const found = ROUTES.map((route) => ({ route, params: match(route.pattern, path) })).find((r) => r.params);
  if (!found) return navigate('/connectors');
  shell ??= renderShell(root, () => showSignIn('You have signed out.'));
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const { main, setCurrent } = shell;
  setCurrent(path);
  document.title = `${found.route.title} · ${brandName()}`;
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  try {
    await found.route.page({ main, params: found.params ?? {}, signal: controller.signal });
  } catch (error) {
    if (!controller.signal.aborted) main.append(errorBox(error));
  } finally {
    main.removeAttribute('aria-busy');
  }
  // Move focus to the new page's heading, so keyboard and screen-reader users start there.
  if (lastPath !== undefined && lastPath !== path && !controller.signal.aborted) main.querySelector<HTMLElement>('h1')?.focus();
  lastPath = path;
}

whenSignedOut(() => showSignIn('Your session has ended. Sign in again.'));
window.addEventListener('hashchange', () => void render());
await loadBrand();
await render();
