import { brandMark } from './brand.ts';
import { h } from './dom.ts';
import { currentPath, navigate } from './router.ts';
import { currentSession, signOut } from './session.ts';
import { liveRegion } from './ui/feedback.ts';

export const NAV = [
  { path: '/connectors', label: 'Connectors' },
  { path: '/connections', label: 'Connections' },
  { path: '/accounts', label: 'Connected accounts' },
  { path: '/mcp', label: 'MCP servers' },
  { path: '/requests', label: 'Request log' },
  { path: '/approvals', label: 'Approvals' },
] as const;

/** The signed-in frame: skip link, brand, main navigation, sign-out, and the page's <main>. */
export function renderShell(root: HTMLElement, onSignOut: () => void): { main: HTMLElement; setCurrent(path: string): void } {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const links = NAV.map((item) => {
    const link = h('a', { href: `#${item.path}` }, item.label);
    // The current page's link reloads it (fresh data, filters reset) instead of doing nothing.
    link.addEventListener('click', (event) => {
      if (currentPath() !== item.path) return;
      event.preventDefault();
      navigate(item.path);
    });
    return link;
  });
  const skip = h('a', { class: 'skip-link', href: '#main' }, 'Skip to content');
  // The hash is the router's: focus the content instead of following the anchor.
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  const signOutButton = h('button', { type: 'button', class: 'btn-secondary' }, 'Sign out');
  signOutButton.addEventListener('click', () => {
    signOut();
    onSignOut();
  });
  const clientId = currentSession()?.clientId ?? '';
  root.replaceChildren(
    skip,
    h(
      'header',
      { class: 'topbar' },
      h('a', { href: '#/connectors', class: 'brand-link' }, brandMark()),
      h('nav', { 'aria-label': 'Main' }, h('ul', {}, links.map((link) => h('li', {}, link)))),
      h('div', { class: 'account' }, h('span', { class: 'muted client-id', title: 'Signed in as this API client' }, clientId), signOutButton),
    ),
    main,
    liveRegion(),
  );
  return {
    main,
    setCurrent(path) {
      for (const [i, link] of links.entries()) {
        if (path.startsWith(NAV[i]!.path)) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
    },
  };
}
