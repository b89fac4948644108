import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { ConnectedAccount, Provider, Tool } from '../types.ts';
import { announce, emptyState, errorBox } from '../ui/feedback.ts';
import { busy, clearErrors, type Field, field, formAlert, showError } from '../ui/form.ts';
import { pageHeader, section, table } from '../ui/page.ts';
import { fieldsOf, inputFrom, type SchemaField } from '../ui/schema-fields.ts';

const toolsPath = (connector: string) => `#/connectors/${encodeURIComponent(connector)}/tools`;
// Focusable, so a long block can be scrolled from the keyboard.
const json = (value: unknown) => h('pre', { class: 'code-block', tabindex: '0' }, JSON.stringify(value, null, 2) ?? 'null');
const requestLine = (tool: Tool) => `${String(tool.metadata.request.method ?? '')} ${String(tool.metadata.request.path ?? '')}`;

async function allTools(connector: string): Promise<Tool[]> {
  const all: Tool[] = [];
  let token: string | null = null;
  do {
    const page: { tools: Tool[]; next_page_token: string | null } = await api.get('/api/v1/tools', { connector, page_size: 100, page_token: token });
    all.push(...page.tools);
    token = page.next_page_token;
  } while (token);
  return all;
}

/** `#/connectors/:identifier/tools`: the connector's tools, each with its request. */
export async function renderTools({ main, params, signal }: PageContext): Promise<void> {
  const identifier = params.identifier ?? '';
  const [{ provider }, tools] = await Promise.all([api.get<{ provider: Provider }>(`/api/v1/custom-providers/${encodeURIComponent(identifier)}`), allTools(identifier)]);
  if (signal.aborted) return;
  const back = h('a', { href: '#/connectors', class: 'btn btn-secondary' }, 'Back to connectors');
  main.append(
    pageHeader(`Tools of ${provider.display_name}`, 'Typed actions a model can call: each has a JSON Schema input and a request template; toolproxy sends the request with the user’s credentials.', back),
    section(
      `${tools.length} tool${tools.length === 1 ? '' : 's'}`,
      tools.length === 0
        ? emptyState('No tools yet', provider.is_custom ? 'Add tools to the connector definition, or import them from an OpenAPI document: toolproxy tools import openapi.json --connector ' + provider.identifier : 'This built-in connector has no tools.')
        : table(
            `Tools of ${provider.display_name}`,
            ['Tool', 'Request', 'Description', 'Actions'],
            tools.map((tool) => [
              h('span', { class: 'stack' }, h('strong', {}, tool.definition.display_name), h('code', { class: 'muted' }, tool.definition.name)),
              h('code', {}, requestLine(tool)),
              h('span', { class: 'small' }, tool.definition.description),
              h('a', { href: `${toolsPath(identifier)}/${encodeURIComponent(tool.definition.name)}`, class: 'btn btn-ghost', 'aria-label': `Open ${tool.definition.name}` }, 'Open'),
            ]),
          ),
    ),
  );
}

/** `#/connectors/:identifier/tools/:name`: schema, request template, and a "try it" form for a chosen account. */
export async function renderTool({ main, params, signal }: PageContext): Promise<void> {
  const identifier = params.identifier ?? '';
  const [{ tool }, accounts] = await Promise.all([
    api.get<{ tool: Tool }>(`/api/v1/tools/${encodeURIComponent(params.name ?? '')}`),
    api.get<{ connected_accounts: ConnectedAccount[] }>('/api/v1/connected_accounts', { connector: identifier, status: 'ACTIVE', page_size: 100 }),
  ]);
  if (signal.aborted) return;
  const { definition, metadata } = tool;
  main.append(
    pageHeader(definition.display_name, definition.description, h('a', { href: toolsPath(identifier), class: 'btn btn-secondary' }, 'All tools')),
    section(
      'Definition',
      h('p', {}, h('code', {}, definition.name), ' · ', tool.is_default ? 'built-in' : metadata.origin, ` · version ${metadata.version}`),
      h('h3', {}, 'Input schema'),
      json(definition.input_schema),
      h('h3', {}, 'Request template'),
      json(metadata.request),
      metadata.output ? h('div', {}, h('h3', {}, 'Output projection'), json(metadata.output)) : null,
    ),
    section('Try it', tryIt(tool, accounts.connected_accounts)),
  );
}

function control(spec: SchemaField): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const common = { name: spec.name, autocomplete: 'off', spellcheck: 'false' };
  switch (spec.kind) {
    case 'boolean':
      return h('select', common, h('option', { value: '' }, '(not set)'), h('option', { value: 'true', selected: spec.initial === 'true' }, 'true'), h('option', { value: 'false', selected: spec.initial === 'false' }, 'false'));
    case 'enum':
      return h('select', common, h('option', { value: '' }, '(not set)'), spec.options.map((option, i) => h('option', { value: String(i), selected: spec.initial === String(i) }, typeof option === 'string' ? option : JSON.stringify(option))));
    case 'json':
      return h('textarea', { ...common, rows: 3, class: 'mono' }, spec.initial);
    case 'number':
    case 'integer':
      return h('input', { ...common, type: 'text', inputmode: spec.kind === 'integer' ? 'numeric' : 'decimal', value: spec.initial });
    default:
      return h('input', { ...common, type: 'text', value: spec.initial });
  }
}

function tryIt(tool: Tool, accounts: ConnectedAccount[]): HTMLElement {
  if (accounts.length === 0) {
    return emptyState('No connected account to try it with', 'Connect an account on one of this connector’s connections (Connected accounts page), then come back.');
  }
  const account = field(
    'Run as',
    h('select', { name: 'connected_account_id', required: true }, accounts.map((a) => h('option', { value: a.id }, `${a.identifier} on ${a.connection_name}`))),
    { hint: 'An ACTIVE connected account on one of this connector’s connections.' },
  );
  const specs = fieldsOf(tool.definition.input_schema);
  const inputs: Record<string, Field> = Object.fromEntries(
    specs.map((spec) => [
      spec.name,
      field(spec.name, control(spec), {
        hint: [spec.kind === 'json' ? 'JSON' : spec.kind, spec.description].filter(Boolean).join(' — '),
        optional: !spec.required,
      }),
    ]),
  );
  const alert = formAlert();
  const submit = h('button', { type: 'submit' }, 'Run tool');
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, class: 'narrow-form' }, alert, account.wrapper, Object.values(inputs).map((f) => f.wrapper), submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(alert, inputs);
    const values = Object.fromEntries(specs.map((spec) => [spec.name, inputs[spec.name]!.control.value]));
    const { input, problems } = inputFrom(specs, values);
    if (problems.length > 0) {
      showError(Object.assign(new Error('Please correct the fields marked below.'), { problems }), alert, inputs);
      for (const problem of problems) inputs[problem.path.slice(1)]?.setError(problem.message);
      return;
    }
    const body = { tool_name: tool.definition.name, params: input, connected_account_id: account.control.value };
    try {
      const answer = await busy(submit, () => api.send('POST', '/api/v1/execute_tool', body));
      replace(result, h('h3', {}, 'Request sent'), h('p', {}, h('code', {}, 'POST /api/v1/execute_tool')), json(body), h('h3', {}, `Answer: ${answer.status}`), json(answer.body));
      const problemsOf = (answer.body as { error?: { details?: { problems?: { path: string; message: string }[] } } } | undefined)?.error?.details?.problems;
      if (problemsOf?.length) for (const problem of problemsOf) inputs[problem.path.split('/')[1] ?? '']?.setError(problem.message);
      announce(answer.status === 200 ? `${tool.definition.name} ran` : `${tool.definition.name} answered ${answer.status}`);
    } catch (error) {
      replace(result, errorBox(error));
    }
  });
  return h('div', {}, form, result);
}
