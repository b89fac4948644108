import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { allProviders } from '../providers.ts';
import type { PageContext } from '../router.ts';
import type { Provider } from '../types.ts';
import { announce, confirmDialog, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { field } from '../ui/form.ts';
import { timeAgo } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

/** Every connector: the custom ones, with edit and delete, then the read-only built-in catalog. */
export async function renderConnectors({ main, signal }: PageContext): Promise<void> {
  const builtIn = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const custom = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('a', { href: '#/connectors/new', class: 'btn btn-primary' }, 'New connector');
  main.append(
    pageHeader('Connectors', 'How each upstream API authenticates and where it lives. Connections are built from them.', create),
    section('Custom connectors', custom),
    section('Built-in catalog', builtIn),
  );

  const load = async () => {
    const [catalog, mine] = await Promise.all([allProviders('DEFAULT'), allProviders('CUSTOM')]);
    if (signal.aborted) return;
    replace(builtIn, catalogView(catalog));
    replace(
      custom,
      mine.length === 0
        ? emptyState('No custom connectors', 'Describe an API once — its base URL and how it authenticates — as YAML or JSON.', h('a', { href: '#/connectors/new', class: 'btn btn-secondary' }, 'Create a connector'))
        : providerTable('Custom connectors', mine, load),
    );
  };
  try {
    await load();
  } catch (error) {
    replace(custom, errorBox(error));
    builtIn.replaceChildren();
  }
}

function authTypes(provider: Provider): HTMLElement {
  return h('span', { class: 'badge badge-neutral' }, [...new Set(provider.auth_patterns.map((p) => p.type))].join(', '));
}

function providerTable(caption: string, providers: Provider[], reload: () => Promise<void>): HTMLElement {
  const rows = providers.map((provider) => [
    h('span', { class: 'stack' }, h('strong', {}, provider.display_name), h('code', { class: 'muted' }, provider.identifier)),
    authTypes(provider),
    h('code', { class: 'url' }, provider.proxy_url),
    provider.proxy_enabled ? h('span', {}, 'Enabled') : h('span', { class: 'muted' }, 'Disabled'),
    timeAgo(provider.updated_at),
    h(
      'div',
      { class: 'row-actions' },
      h('a', { href: `#/connectors/${encodeURIComponent(provider.identifier)}/edit`, class: 'btn btn-ghost', 'aria-label': `Edit ${provider.display_name}` }, 'Edit'),
      h('a', { href: `#/connectors/${encodeURIComponent(provider.identifier)}/tools`, class: 'btn btn-ghost', 'aria-label': `Tools of ${provider.display_name}` }, 'Tools'),
      deleteButton(provider, reload),
    ),
  ]);
  return table(caption, ['Connector', 'Auth', 'Proxy URL', 'Proxy', 'Updated', 'Actions'], rows);
}

/** The built-in catalog (sorted by name), with a filter box: read-only, so its actions lead elsewhere. */
function catalogView(providers: Provider[]): HTMLElement {
  if (providers.length === 0) {
    return emptyState(
      'No built-in connectors',
      'This server was started with an empty connector catalog. Create a custom connector for any API that uses an API key, a bearer token, basic auth or OAuth.',
    );
  }
  const search = field('Search the catalog', h('input', { name: 'q', type: 'search', autocomplete: 'off', spellcheck: 'false' }), { hint: 'By name, identifier or category.' });
  const filters = h('form', { role: 'search', 'aria-label': 'Filter the built-in catalog', class: 'filters' }, search.wrapper);
  // Only the count is announced while typing, not the whole table.
  const summary = h('p', { class: 'muted', role: 'status' });
  const results = h('div', {});
  const show = () => {
    const query = search.control.value.trim().toLowerCase();
    const shown = query ? providers.filter((p) => [p.display_name, p.identifier, category(p) ?? ''].some((text) => text.toLowerCase().includes(query))) : providers;
    replace(summary, query ? `${shown.length} of ${providers.length} built-in connectors match.` : `${providers.length} built-in connectors.`);
    replace(
      results,
      shown.length === 0
        ? emptyState('No built-in connector matches', 'Try another name or a category such as Payments. Any other API can be added as a custom connector.')
        : catalogTable(shown),
    );
  };
  search.control.addEventListener('input', show);
  filters.addEventListener('submit', (event) => event.preventDefault());
  show();
  return h('div', {}, filters, summary, results);
}

function category(provider: Provider): string | undefined {
  return provider.metadata?.category;
}

function catalogTable(providers: Provider[]): HTMLElement {
  const rows = providers.map((provider) => {
    const name = provider.display_name;
    const id = encodeURIComponent(provider.identifier);
    const docs = httpsUrl(provider.metadata?.docs_url);
    return [
      h('span', { class: 'stack' }, h('strong', {}, name), h('code', { class: 'muted' }, provider.identifier)),
      category(provider) ?? h('span', { class: 'muted' }, '—'),
      authTypes(provider),
      h('code', { class: 'url' }, provider.proxy_url),
      // A no-break space keeps "New connection" on one line next to the other actions.
      h(
        'div',
        { class: 'row-actions' },
        docs ? h('a', { href: docs, target: '_blank', rel: 'noopener noreferrer', class: 'btn btn-ghost', 'aria-label': `${name} docs (opens in a new tab)` }, 'Docs') : null,
        h('a', { href: `#/connections?connector=${id}`, class: 'btn btn-ghost', 'aria-label': `New connection for ${name}` }, 'New\u00a0connection'),
        h('a', { href: `#/connectors/${id}/tools`, class: 'btn btn-ghost', 'aria-label': `Tools of ${name}` }, 'Tools'),
        h('a', { href: `#/connectors/new?from=${id}`, class: 'btn btn-ghost', 'aria-label': `Customize ${name}` }, 'Customize'),
      ),
    ];
  });
  return table('Built-in connectors', ['Connector', 'Category', 'Auth', 'Proxy URL', 'Actions'], rows);
}

/** The link only when it is https: the catalog is trusted, but a link never gets a script scheme. */
function httpsUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value).protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

function deleteButton(provider: Provider, reload: () => Promise<void>): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn-ghost danger', 'aria-label': `Delete ${provider.display_name}` }, 'Delete');
  button.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete ${provider.display_name}?`, 'The connector definition is removed. This is refused while connections use it.', 'Delete connector'))) return;
    try {
      await api.delete(`/api/v1/custom-providers/${encodeURIComponent(provider.identifier)}`);
      announce(`${provider.display_name} deleted`);
      await reload();
    } catch (error) {
      sectionError(button, error);
    }
  });
  return button;
}
