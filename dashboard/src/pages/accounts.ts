import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { PageContext } from '../router.ts';
import { ACCOUNT_STATUSES, type ConnectedAccount, type Connection } from '../types.ts';
import { announce, confirmDialog, copyField, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { busy, clearErrors, field, formAlert, showError } from '../ui/form.ts';
import { statusBadge, timeAgo, timeExact } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

interface AccountsPage {
  connected_accounts: ConnectedAccount[];
  next_page_token: string | null;
}

interface MagicLink {
  link: string;
  expiry: string;
  connected_account: ConnectedAccount;
}

/** The Connected Accounts tab: authorization links, search and filters, status, usage, delete. */
export async function renderAccounts({ main, signal }: PageContext): Promise<void> {
  let connections: Connection[] = [];
  const connectionOptions = (select: HTMLSelectElement, withAll: boolean) =>
    replace(
      select,
      withAll ? h('option', { value: '' }, 'All connections') : connections.length === 0 ? h('option', { value: '' }, 'No connections yet') : null,
      connections.map((c) => h('option', { value: c.name }, `${c.name} (${c.connector})`)),
    );

  // Authorization link
  const linkConnection = field('Connection', h('select', { name: 'connection_name', required: true }));
  const linkIdentifier = field('Identifier', h('input', { name: 'identifier', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }), {
    hint: "Your application's id for the user, e.g. user_123 or an email address.",
  });
  const linkAlert = formAlert();
  const linkResult = h('div', { 'aria-live': 'polite' });
  const linkSubmit = h('button', { type: 'submit' }, 'Create authorization link');
  const linkForm = h('form', { novalidate: true, class: 'grid-form' }, linkAlert, linkConnection.wrapper, linkIdentifier.wrapper, h('div', { class: 'actions' }, linkSubmit));
  const linkFields = { connection_name: linkConnection, identifier: linkIdentifier };
  const createLink = async (connectionName: string, identifier: string) => {
    clearErrors(linkAlert, linkFields);
    try {
      const result = await busy(linkSubmit, () => api.post<MagicLink>('/api/v1/connected_accounts/magic_link', { connection_name: connectionName, identifier }));
      replace(
        linkResult,
        h(
          'div',
          { class: 'alert alert-success link-result', role: 'status' },
          h('p', {}, `Send this single-use link to ${identifier}. It expires `, timeExact(result.expiry), '.'),
          copyField('Authorization link', result.link, { id: 'authorization-link' }),
          h('a', { href: result.link, target: '_blank', rel: 'noopener noreferrer' }, 'Open the link in a new tab'),
        ),
      );
      announce('Authorization link created');
      await refresh();
    } catch (error) {
      showError(error, linkAlert, linkFields);
    }
  };
  linkForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void createLink(linkConnection.control.value, linkIdentifier.control.value.trim());
  });

  // Filters
  const search = field('Identifier', h('input', { name: 'identifier', type: 'search', autocomplete: 'off', spellcheck: 'false' }), { hint: 'Exact match.' });
  const byConnection = field('Connection', h('select', { name: 'connection_name' }));
  const byStatus = field(
    'Status',
    h('select', { name: 'status' }, h('option', { value: '' }, 'Any status'), ACCOUNT_STATUSES.map((s) => h('option', { value: s }, s))),
  );
  const filters = h('form', { role: 'search', 'aria-label': 'Filter connected accounts', class: 'filters' }, search.wrapper, byConnection.wrapper, byStatus.wrapper, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn-secondary' }, 'Search')));
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const results = h('div', {});
  const more = h('div', {});

  let pageToken: string | null = null;
  let rows: ConnectedAccount[] = [];
  const query = () => ({
    identifier: search.control.value.trim(),
    connection_name: byConnection.control.value,
    status: byStatus.control.value,
    page_size: 50,
  });
  const draw = () => {
    summary.textContent = rows.length === 0 ? '' : `${rows.length}${pageToken ? '+' : ''} connected account${rows.length === 1 ? '' : 's'}`;
    replace(
      results,
      rows.length === 0
        ? emptyState('No connected accounts match', 'Create an authorization link above: the account appears here, PENDING_AUTH until the user completes it.')
        : table('Connected accounts', ['Identifier', 'Connection', 'Status', 'Auth', 'Last used', 'Token expires', 'Created', 'Actions'], rows.map((a) => accountRow(a, refresh, createLink, results))),
    );
    if (pageToken) {
      const button = h('button', { type: 'button', class: 'btn-secondary' }, 'Load more');
      button.addEventListener('click', () => void busy(button, () => fetchPage(true)));
      replace(more, button);
    } else more.replaceChildren();
  };
  const fetchPage = async (append: boolean) => {
    const page = await api.get<AccountsPage>('/api/v1/connected_accounts', { ...query(), page_token: append ? pageToken : undefined });
    if (signal.aborted) return;
    rows = append ? [...rows, ...page.connected_accounts] : page.connected_accounts;
    pageToken = page.next_page_token;
    draw();
  };
  async function refresh(): Promise<void> {
    try {
      await fetchPage(false);
    } catch (error) {
      replace(results, errorBox(error));
    }
  }
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void refresh();
  });
  for (const select of [byConnection.control, byStatus.control]) select.addEventListener('change', () => void refresh());

  main.append(
    pageHeader('Connected accounts', 'One account per user and connection. Credentials are never shown here.'),
    section('Create an authorization link', linkForm, linkResult),
    section('Accounts', filters, summary, results, more),
  );

  try {
    connections = (await api.get<{ connections: Connection[] }>('/api/v1/connections', { page_size: 100 })).connections;
    if (signal.aborted) return;
    connectionOptions(linkConnection.control, false);
    connectionOptions(byConnection.control, true);
    await fetchPage(false);
  } catch (error) {
    replace(results, errorBox(error));
  }
}

function accountRow(
  account: ConnectedAccount,
  reload: () => Promise<void>,
  createLink: (connectionName: string, identifier: string) => Promise<void>,
  container: HTMLElement,
): Node[] {
  const expires = account.token_expires_at;
  const relink = h('button', { type: 'button', class: 'btn-ghost', 'aria-label': `New link for ${account.identifier} on ${account.connection_name}` }, 'New link');
  relink.addEventListener('click', async () => {
    await createLink(account.connection_name, account.identifier);
    document.getElementById('authorization-link')?.focus();
  });
  const remove = h('button', { type: 'button', class: 'btn-ghost danger', 'aria-label': `Delete ${account.identifier} on ${account.connection_name}` }, 'Delete');
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog(
      `Disconnect ${account.identifier}?`,
      `The account on ${account.connection_name} and its stored credentials are deleted. Proxy calls for this user fail until they authorize again.`,
      'Delete account',
    );
    if (!ok) return;
    try {
      await api.delete(`/api/v1/connected_accounts/${encodeURIComponent(account.id)}`);
      announce(`${account.identifier} disconnected`);
      await reload();
    } catch (error) {
      sectionError(container, error);
    }
  });
  return [
    h('span', { class: 'stack' }, h('span', {}, account.identifier), h('code', { class: 'muted small' }, account.id)),
    h('code', {}, account.connection_name),
    statusBadge(account.status),
    h('span', {}, account.authorization_type),
    timeAgo(account.last_used_at),
    expires ? h('span', { class: Date.parse(expires) < Date.now() ? 'expired' : '' }, timeAgo(expires)) : h('span', { class: 'muted' }, 'Does not expire'),
    timeAgo(account.created_at),
    h('div', { class: 'row-actions' }, relink, remove),
  ];
}
