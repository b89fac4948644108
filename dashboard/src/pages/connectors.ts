import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { navigate, type PageContext } from '../router.ts';
import type { Provider } from '../types.ts';
import { announce, confirmDialog, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { timeAgo } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

interface ProvidersPage {
  providers: Provider[];
  next_page_token: string | null;
}

/** Every connector: the built-in catalog (none yet) and the custom ones, with edit and delete. */
export async function renderConnectors({ main, signal }: PageContext): Promise<void> {
  const builtIn = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const custom = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('a', { href: '#/connectors/new', class: 'btn btn-primary' }, 'New connector');
  main.append(
    pageHeader('Connectors', 'How each upstream API authenticates and where it lives. Connections are built from them.', create),
    section('Custom connectors', custom),
    section('Built-in catalog', builtIn),
  );

  const load = async () => {
    const [catalog, mine] = await Promise.all([
      api.get<ProvidersPage>('/api/v1/providers', { 'filter.provider_type': 'DEFAULT', page_size: 100 }),
      allCustom(),
    ]);
    if (signal.aborted) return;
    replace(
      builtIn,
      catalog.providers.length === 0
        ? emptyState('No built-in connectors yet', 'The built-in catalog ships with a later version. Create a custom connector for any API that uses an API key, a bearer token, basic auth or OAuth.')
        : providerTable('Built-in connectors', catalog.providers, false),
    );
    replace(
      custom,
      mine.length === 0
        ? emptyState('No custom connectors', 'Describe an API once — its base URL and how it authenticates — as YAML or JSON.', h('a', { href: '#/connectors/new', class: 'btn btn-secondary' }, 'Create a connector'))
        : providerTable('Custom connectors', mine, true, load),
    );
  };
  try {
    await load();
  } catch (error) {
    replace(custom, errorBox(error));
    builtIn.replaceChildren();
  }
}

async function allCustom(): Promise<Provider[]> {
  const all: Provider[] = [];
  let token: string | null = null;
  do {
    const page: ProvidersPage = await api.get<ProvidersPage>('/api/v1/providers', { 'filter.provider_type': 'CUSTOM', page_size: 100, page_token: token });
    all.push(...page.providers.filter((p) => p.is_custom));
    token = page.next_page_token;
  } while (token);
  return all;
}

function providerTable(caption: string, providers: Provider[], editable: boolean, reload?: () => Promise<void>): HTMLElement {
  const rows = providers.map((provider) => {
    const types = [...new Set(provider.auth_patterns.map((p) => p.type))].join(', ');
    const actions = h('div', { class: 'row-actions' });
    if (editable) {
      actions.append(
        h('a', { href: `#/connectors/${encodeURIComponent(provider.identifier)}/edit`, class: 'btn btn-ghost', 'aria-label': `Edit ${provider.display_name}` }, 'Edit'),
        deleteButton(provider, reload),
      );
    }
    return [
      h('span', { class: 'stack' }, h('strong', {}, provider.display_name), h('code', { class: 'muted' }, provider.identifier)),
      h('span', { class: 'badge badge-neutral' }, types),
      h('code', { class: 'url' }, provider.proxy_url),
      provider.proxy_enabled ? h('span', {}, 'Enabled') : h('span', { class: 'muted' }, 'Disabled'),
      timeAgo(provider.updated_at),
      actions,
    ];
  });
  return table(caption, ['Connector', 'Auth', 'Proxy URL', 'Proxy', 'Updated', 'Actions'], rows);
}

function deleteButton(provider: Provider, reload?: () => Promise<void>): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn-ghost danger', 'aria-label': `Delete ${provider.display_name}` }, 'Delete');
  button.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete ${provider.display_name}?`, 'The connector definition is removed. This is refused while connections use it.', 'Delete connector'))) return;
    try {
      await api.delete(`/api/v1/custom-providers/${encodeURIComponent(provider.identifier)}`);
      announce(`${provider.display_name} deleted`);
      if (reload) await reload();
      else navigate('/connectors');
    } catch (error) {
      sectionError(button, error);
    }
  });
  return button;
}
