import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { allProviders } from '../providers.ts';
import { currentPath, type PageContext } from '../router.ts';
import type { Connection, Provider } from '../types.ts';
import { announce, confirmDialog, copyField, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { busy, clearErrors, type Field, field, formAlert, showError } from '../ui/form.ts';
import { timeAgo } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';
import { policyPanel } from './connection-policy.ts';

interface ConnectionsPage {
  connections: Connection[];
  next_page_token: string | null;
}

/** The redirect URI an OAUTH connection must register at the provider, wherever the server puts it. */
function redirectUri(connection: Connection): string | undefined {
  const fromSettings = connection.settings?.redirect_uri;
  return connection.redirect_uri ?? (typeof fromSettings === 'string' ? fromSettings : undefined);
}

/** Connections: named instances of a connector; OAUTH ones carry the OAuth app's client and scopes. */
export async function renderConnections({ main, signal }: PageContext): Promise<void> {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  // The Policy button of a row opens that connection's policy here.
  const policy = h('div', {}, h('p', { class: 'muted' }, 'Choose Policy on a connection to see and edit what calls it allows.'));
  const created = h('div', { 'aria-live': 'polite' });
  let providers: Provider[] = [];

  const name = field('Name', h('input', { name: 'name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,99}' }), {
    hint: 'The connection_name your code passes: letters, digits, _ . - (e.g. acme).',
  });
  const connector = field('Connector', h('select', { name: 'connector', required: true }));
  const clientId = field('Client ID', h('input', { name: 'client_id', type: 'text', autocomplete: 'off', spellcheck: 'false' }));
  const clientSecret = field('Client secret', h('input', { name: 'client_secret', type: 'password', autocomplete: 'new-password' }), {
    hint: 'Write-only: it is stored encrypted and never shown again.',
  });
  const authMethod = field(
    'Token endpoint authentication',
    h(
      'select',
      { name: 'token_endpoint_auth_method' },
      h('option', { value: '' }, "Connector's default"),
      h('option', { value: 'client_secret_basic' }, 'client_secret_basic (HTTP Basic)'),
      h('option', { value: 'client_secret_post' }, 'client_secret_post (form body)'),
      h('option', { value: 'none' }, 'none (public client, PKCE only)'),
    ),
  );
  const scopesHint = h('span', {}, 'Space-separated.');
  const scopes = field('Scopes', h('input', { name: 'scopes', type: 'text', autocomplete: 'off', spellcheck: 'false' }), { hint: scopesHint, optional: true });
  const oauth = h('fieldset', { hidden: true }, h('legend', {}, 'OAuth app'), h('p', { class: 'hint' }, 'From the app you registered at the provider.'), clientId.wrapper, clientSecret.wrapper, scopes.wrapper, authMethod.wrapper);
  const fields: Record<string, Field> = { name, connector, client_id: clientId, client_secret: clientSecret, scopes, token_endpoint_auth_method: authMethod };
  const alert = formAlert();
  const submit = h('button', { type: 'submit' }, 'Create connection');
  const form = h('form', { novalidate: true, class: 'narrow-form' }, alert, name.wrapper, connector.wrapper, oauth, submit);

  const selected = () => providers.find((p) => p.identifier === connector.control.value);
  const isOauth = () => selected()?.auth_patterns[0]?.type === 'OAUTH';
  connector.control.addEventListener('change', () => {
    oauth.hidden = !isOauth();
    clientId.control.required = isOauth();
    if (isOauth()) clientId.control.setAttribute('aria-required', 'true');
    else clientId.control.removeAttribute('aria-required');
    const available = selected()?.auth_patterns[0]?.oauth_config?.available_scopes ?? [];
    replace(scopesHint, available.length ? `Space-separated. This connector offers: ${available.map((s) => s.scope).join(' ')}.` : 'Space-separated.');
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(alert, fields);
    const body: Record<string, unknown> = { name: name.control.value.trim(), connector: connector.control.value };
    if (isOauth()) {
      body.client_id = clientId.control.value.trim();
      body.client_secret = clientSecret.control.value;
      const list = scopes.control.value.split(/[\s,]+/).filter(Boolean);
      if (list.length) body.scopes = list;
      if (authMethod.control.value) body.token_endpoint_auth_method = authMethod.control.value;
    }
    try {
      const { connection } = await busy(submit, () => api.post<{ connection: Connection }>('/api/v1/connections', body));
      // The secret field is cleared at once: it is write-only.
      clientSecret.control.value = '';
      form.reset();
      connector.control.dispatchEvent(new Event('change'));
      const uri = redirectUri(connection);
      replace(
        created,
        h(
          'div',
          { class: 'alert alert-success', role: 'status' },
          h('p', {}, `Connection ${connection.name} created.`, uri ? ' Register this redirect URI at the provider:' : ' Create an authorization link for a user on the Connected accounts page.'),
          uri ? copyField('Redirect URI', uri) : null,
        ),
      );
      announce(`Connection ${connection.name} created`);
      await load();
    } catch (error) {
      clientSecret.control.value = '';
      showError(error, alert, fields);
    }
  });

  main.append(
    pageHeader('Connections', 'A connection is a named, configured instance of a connector: the connection_name your code sends.'),
    section('New connection', created, form),
    section('All connections', list),
    section('Policy', policy),
  );

  const load = async () => {
    const page = await api.get<ConnectionsPage>('/api/v1/connections', { page_size: 100 });
    if (signal.aborted) return;
    replace(
      list,
      page.connections.length === 0
        ? emptyState('No connections yet', 'Create one above from a connector.')
        : table(
            'Connections',
            ['Name', 'Connector', 'Auth', 'Status', 'Redirect URI', 'Created', 'Actions'],
            page.connections.map((c) => [
              h('code', {}, c.name),
              h('span', {}, c.connector),
              h('span', { class: 'stack' }, h('span', { class: 'badge badge-neutral' }, c.type), oauthSummary(c)),
              h('span', { class: `badge ${c.enabled ? 'badge-success' : 'badge-neutral'}` }, c.enabled ? 'Enabled' : 'Disabled'),
              redirectUri(c) ? h('code', { class: 'url' }, redirectUri(c) as string) : h('span', { class: 'muted' }, '—'),
              timeAgo(c.created_at),
              actions(c, load, list, policy),
            ]),
          ),
    );
  };

  try {
    const [custom, builtIn] = await Promise.all([allProviders('CUSTOM'), allProviders('DEFAULT'), load()]);
    providers = [...custom, ...builtIn];
    const options = (group: Provider[]) => group.map((p) => h('option', { value: p.identifier }, `${p.display_name} (${p.identifier}) · ${p.auth_patterns[0]?.type ?? '?'}`));
    replace(
      connector.control,
      providers.length === 0 ? h('option', { value: '' }, 'No connectors yet — create one first') : null,
      custom.length > 0 ? h('optgroup', { label: 'Custom connectors' }, options(custom)) : null,
      builtIn.length > 0 ? h('optgroup', { label: 'Built-in connectors' }, options(builtIn)) : null,
    );
    // `#/connections?connector=github` (the catalog's "New connection") chooses that connector.
    const preselect = new URLSearchParams(currentPath().split('?')[1] ?? '').get('connector');
    if (preselect && providers.some((p) => p.identifier === preselect)) connector.control.value = preselect;
    connector.control.dispatchEvent(new Event('change'));
  } catch (error) {
    replace(list, errorBox(error));
  }
}

/** Client id and scopes of an OAUTH connection; whether a secret is stored, never the secret. */
function oauthSummary(connection: Connection): HTMLElement | null {
  if (connection.type !== 'OAUTH') return null;
  const { client_id: clientId, scopes, has_client_secret: hasSecret } = connection.settings as { client_id?: string; scopes?: string[]; has_client_secret?: boolean };
  return h(
    'span',
    { class: 'muted small' },
    clientId ? `client ${clientId}` : 'no client id',
    ` · secret ${hasSecret ? 'set' : 'not set'}`,
    scopes?.length ? ` · ${scopes.join(' ')}` : '',
  );
}

function actions(connection: Connection, reload: () => Promise<void>, list: HTMLElement, policy: HTMLElement): HTMLElement {
  const showPolicy = h('button', { type: 'button', class: 'btn-ghost', 'aria-label': `Policy of ${connection.name}` }, 'Policy');
  showPolicy.addEventListener('click', () => {
    replace(policy, policyPanel(connection.name));
    policy.querySelector('textarea')?.focus();
  });
  const toggle = h('button', { type: 'button', class: 'btn-ghost', 'aria-label': `${connection.enabled ? 'Disable' : 'Enable'} ${connection.name}` }, connection.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    try {
      await busy(toggle, () => api.patch(`/api/v1/connections/${encodeURIComponent(connection.name)}`, { enabled: !connection.enabled }));
      announce(`${connection.name} ${connection.enabled ? 'disabled' : 'enabled'}`);
      await reload();
    } catch (error) {
      sectionError(list, error);
    }
  });
  const remove = h('button', { type: 'button', class: 'btn-ghost danger', 'aria-label': `Delete ${connection.name}` }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete ${connection.name}?`, 'This is refused while the connection has connected accounts.', 'Delete connection'))) return;
    try {
      await api.delete(`/api/v1/connections/${encodeURIComponent(connection.name)}`);
      announce(`${connection.name} deleted`);
      await reload();
    } catch (error) {
      sectionError(list, error);
    }
  });
  return h('div', { class: 'row-actions' }, showPolicy, toggle, remove);
}
