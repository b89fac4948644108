import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { navigate, type PageContext } from '../router.ts';
import type { Connection, McpConfig } from '../types.ts';
import { announce, confirmDialog, copyField, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { busy, clearErrors, type Field, field, formAlert, showError } from '../ui/form.ts';
import { timeAgo } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

interface ConfigsPage {
  mcp_configs: McpConfig[];
  next_page_token: string | null;
}

/** MCP servers: configs that map connections (and some or all of their tools) to one MCP URL. */
export async function renderMcp({ main, signal }: PageContext): Promise<void> {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const created = h('div', { 'aria-live': 'polite' });
  const connections = await allConnections();
  if (signal.aborted) return;
  const form = configForm(connections, undefined, async (config) => {
    replace(created, h('div', { class: 'alert alert-success', role: 'status' }, h('p', {}, `MCP server ${config.name} created. Agents connect to:`), copyField('MCP server URL', config.mcp_server_url)));
    announce(`MCP server ${config.name} created`);
    await load();
  });
  main.append(
    pageHeader('MCP servers', 'An MCP server serves some connections’ tools at one URL. Your app mints a session token per user and agent run; MCP clients can also connect with OAuth when the server has a user verification page.'),
    section('New MCP server', created, form),
    section('All MCP servers', list),
  );

  const load = async () => {
    const page = await api.get<ConfigsPage>('/api/v1/mcp/configs', { page_size: 100 });
    if (signal.aborted) return;
    replace(
      list,
      page.mcp_configs.length === 0
        ? emptyState('No MCP servers yet', 'Create one above from your connections.')
        : table(
            'MCP servers',
            ['Name', 'Connections', 'URL', 'Updated', 'Actions'],
            page.mcp_configs.map((c) => [
              h('code', {}, c.name),
              h('span', {}, c.connection_tool_mappings.map((m) => (m.tools.length ? `${m.connection_name} (${m.tools.length} tools)` : m.connection_name)).join(', ')),
              h('code', { class: 'url' }, c.mcp_server_url),
              timeAgo(c.updated_at),
              actions(c, load, list),
            ]),
          ),
    );
  };
  try {
    await load();
  } catch (error) {
    replace(list, errorBox(error));
  }
}

/** `#/mcp/:id/edit`: the same form, filled in. */
export async function renderMcpEditor({ main, params, signal }: PageContext): Promise<void> {
  const [config, connections] = await Promise.all([api.get<{ mcp_config: McpConfig }>(`/api/v1/mcp/configs/${encodeURIComponent(params.id ?? '')}`), allConnections()]);
  if (signal.aborted) return;
  const back = h('a', { href: '#/mcp', class: 'btn btn-secondary' }, 'Back to MCP servers');
  const form = configForm(connections, config.mcp_config, async (saved) => {
    announce(`MCP server ${saved.name} saved`);
    navigate('/mcp');
  });
  main.append(pageHeader(`Edit ${config.mcp_config.name}`, 'Clients connected to it are told their tool list changed.', back), section('MCP server', copyField('MCP server URL', config.mcp_config.mcp_server_url), form));
}

async function allConnections(): Promise<Connection[]> {
  const all: Connection[] = [];
  let token: string | null = null;
  do {
    const page: { connections: Connection[]; next_page_token: string | null } = await api.get('/api/v1/connections', { page_size: 100, page_token: token });
    all.push(...page.connections);
    token = page.next_page_token;
  } while (token);
  // The API pages by id; people look for names.
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** Name, description, user verification page, and per connection: served or not, which tools. */
function configForm(connections: Connection[], existing: McpConfig | undefined, onSaved: (config: McpConfig) => Promise<void>): HTMLFormElement {
  const name = field('Name', h('input', { name: 'name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9_\\-]{1,100}', value: existing?.name ?? '' }), {
    hint: '1–100 of a–z, 0–9, _ and -.',
  });
  const description = field('Description', h('textarea', { name: 'description', rows: 2, maxlength: 1000 }, existing?.description ?? ''), {
    hint: 'Shown to MCP clients as the server’s instructions.',
    optional: true,
  });
  const verify = field('User verification URL', h('input', { name: 'user_verify_url', type: 'url', autocomplete: 'off', spellcheck: 'false', value: existing?.user_verify_url ?? '' }), {
    hint: 'Your page that confirms who the user is, so MCP clients can connect with OAuth. Its origin must be in TOOLPROXY_ALLOWED_REDIRECT_ORIGINS.',
    optional: true,
  });
  const rows = connections.map((connection, i) => {
    const mapping = existing?.connection_tool_mappings.find((m) => m.connection_name === connection.name);
    const include = h('input', { type: 'checkbox', id: `map-${i}`, checked: Boolean(mapping) });
    const tools = field(`Tools of ${connection.name}`, h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', value: mapping?.tools.join(', ') ?? '' }), {
      hint: 'Comma-separated tool names; empty serves all of them.',
      optional: true,
    });
    tools.wrapper.hidden = !mapping;
    include.addEventListener('change', () => (tools.wrapper.hidden = !include.checked));
    return { connection, include, tools, wrapper: h('div', { class: 'mapping' }, h('div', { class: 'check' }, include, h('label', { for: include.id }, `${connection.name} `, h('span', { class: 'muted small' }, connection.connector))), tools.wrapper) };
  });
  const mappings = h(
    'fieldset',
    {},
    h('legend', {}, 'Connections'),
    rows.length ? rows.map((row) => row.wrapper) : h('p', { class: 'muted' }, 'No connections yet: create one on the Connections page first.'),
  );
  const fields: Record<string, Field> = { name, description, user_verify_url: verify };
  const alert = formAlert();
  const submit = h('button', { type: 'submit' }, existing ? 'Save MCP server' : 'Create MCP server');
  const form = h('form', { novalidate: true, class: 'narrow-form' }, alert, name.wrapper, description.wrapper, mappings, verify.wrapper, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(alert, fields);
    const body = {
      name: name.control.value.trim(),
      description: description.control.value.trim(),
      connection_tool_mappings: rows
        .filter((row) => row.include.checked)
        .map((row) => ({ connection_name: row.connection.name, tools: row.tools.control.value.split(/[\s,]+/).filter(Boolean) })),
      user_verify_url: verify.control.value.trim() || null,
    };
    try {
      const saved = existing
        ? await busy(submit, () => api.patch<{ mcp_config: McpConfig }>(`/api/v1/mcp/configs/${encodeURIComponent(existing.id)}`, body))
        : await busy(submit, () => api.post<{ mcp_config: McpConfig }>('/api/v1/mcp/configs', body));
      if (!existing) {
        form.reset();
        for (const row of rows) row.tools.wrapper.hidden = true;
      }
      await onSaved(saved.mcp_config);
    } catch (error) {
      showError(error, alert, fields);
    }
  });
  return form;
}

function actions(config: McpConfig, reload: () => Promise<void>, list: HTMLElement): HTMLElement {
  const edit = h('a', { href: `#/mcp/${encodeURIComponent(config.id)}/edit`, class: 'btn btn-ghost', 'aria-label': `Edit ${config.name}` }, 'Edit');
  const remove = h('button', { type: 'button', class: 'btn-ghost danger', 'aria-label': `Delete ${config.name}` }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete ${config.name}?`, 'Its session tokens stop working at once, and MCP clients authorized with OAuth lose access.', 'Delete MCP server'))) return;
    try {
      await api.delete(`/api/v1/mcp/configs/${encodeURIComponent(config.id)}`);
      announce(`${config.name} deleted`);
      await reload();
    } catch (error) {
      sectionError(list, error);
    }
  });
  return h('div', { class: 'row-actions' }, edit, remove);
}
