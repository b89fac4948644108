import { ApiError, api } from '../api.ts';
import { h, replace, uid } from '../dom.ts';
import { currentPath, navigate, type PageContext } from '../router.ts';
import type { Provider } from '../types.ts';
import { type Format, type Located, locate, offsetOfLine, ParseError, parseDefinition, starter, stringify } from '../ui/definition-text.ts';
import { announce, errorBox } from '../ui/feedback.ts';
import { busy } from '../ui/form.ts';
import { pageHeader } from '../ui/page.ts';

/** Fields the server adds to a connector; they are not part of the definition a user edits. */
const READ_ONLY = ['id', 'identifier', 'is_custom', 'created_at', 'updated_at'];
const COPY_SUFFIX = ' (custom)';

/**
 * Create or edit a custom connector as YAML or JSON; `?from=<identifier>` starts a new one as a
 * copy of another connector (the built-in catalog's "Customize"). Syntax errors show while typing; the
 * server's schema problems show after Save, each with its line, as buttons that jump there.
 */
export async function renderConnectorEditor({ main, params, signal }: PageContext): Promise<void> {
  const editing = params.identifier;
  // `#/connectors/new?from=stripe`: a new connector that starts as a copy of another (a built-in one).
  const from = editing ? null : new URLSearchParams(currentPath().split('?')[1] ?? '').get('from');
  let format: Format = 'yaml';
  let text = starter('yaml');
  const source = editing ?? from;
  if (source) {
    main.append(pageHeader(editing ? 'Edit connector' : 'New connector', source));
    let provider: Provider;
    try {
      provider = (await api.get<{ provider: Provider }>(`/api/v1/custom-providers/${encodeURIComponent(source)}`)).provider;
    } catch (error) {
      main.append(errorBox(error));
      return;
    }
    if (signal.aborted) return;
    const definition = Object.fromEntries(Object.entries(provider).filter(([key]) => !READ_ONLY.includes(key)));
    // A copy gets a name of its own, so its identifier (derived from the name) differs from the original's.
    if (from) definition.display_name = `${provider.display_name.slice(0, 100 - COPY_SUFFIX.length)}${COPY_SUFFIX}`;
    text = await stringify(definition, format);
    main.replaceChildren(
      editing
        ? pageHeader(`Edit ${provider.display_name}`, `Identifier: ${provider.identifier}. Saving replaces the whole definition.`)
        : pageHeader(
            `Customize ${provider.display_name}`,
            `A copy of the ${provider.is_custom ? '' : 'built-in '}${provider.identifier} connector. Saving creates a custom connector with an identifier derived from display_name; ${provider.identifier} stays as it is.`,
          ),
    );
  } else {
    main.append(pageHeader('New connector', 'Paste or write a definition. The identifier is derived from display_name.'));
  }

  const editorId = uid('definition');
  const problemsId = `${editorId}-problems`;
  const hintId = `${editorId}-hint`;
  const editor = h('textarea', {
    id: editorId,
    name: 'definition',
    class: 'code editor',
    rows: 26,
    spellcheck: 'false',
    autocapitalize: 'off',
    autocomplete: 'off',
    wrap: 'off',
    'aria-describedby': `${hintId} ${problemsId}`,
  });
  editor.value = text;
  const problemsBox = h('div', { id: problemsId, class: 'problems' });

  const formatChoice = (value: Format, label: string) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'format', value, checked: value === format }), ` ${label}`);
  const formats = h('fieldset', { class: 'inline-choices' }, h('legend', {}, 'Format'), formatChoice('yaml', 'YAML'), formatChoice('json', 'JSON'));
  formats.addEventListener('change', async (event) => {
    const next = (event.target as HTMLInputElement).value as Format;
    if (next === format) return;
    // Convert what is there when it parses; otherwise keep the text and just switch the parser.
    try {
      editor.value = await stringify(await parseDefinition(editor.value, format), next);
    } catch {
      // Left as typed: the syntax check below says what is wrong.
    }
    format = next;
    void check();
  });

  const showProblems = (title: string, problems: Located[]) => {
    if (problems.length === 0) {
      problemsBox.replaceChildren();
      editor.removeAttribute('aria-invalid');
      return;
    }
    editor.setAttribute('aria-invalid', 'true');
    replace(
      problemsBox,
      h(
        'div',
        { class: 'alert alert-error', role: 'alert' },
        h('p', {}, h('strong', {}, title)),
        h(
          'ul',
          { class: 'problem-list' },
          problems.map((problem) => {
            const where = `${problem.line ? `Line ${problem.line}: ` : ''}${problem.path || '(definition)'}`;
            const item = h('li', {}, h('code', {}, where), ` ${problem.message}`);
            if (problem.line) {
              const jump = h('button', { type: 'button', class: 'btn-ghost', 'aria-label': `Go to line ${problem.line}` }, 'Go to line');
              jump.addEventListener('click', () => goToLine(editor, problem.line as number));
              item.append(' ', jump);
            }
            return item;
          }),
        ),
      ),
    );
  };

  let timer: number | undefined;
  const check = async (): Promise<unknown> => {
    try {
      const value = await parseDefinition(editor.value, format);
      showProblems('', []);
      return value;
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      showProblems('The definition cannot be read', [{ path: '', message: error.message, ...(error.line ? { line: error.line } : {}) }]);
      return undefined;
    }
  };
  editor.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void check(), 300);
  });
  signal.addEventListener('abort', () => window.clearTimeout(timer));

  const save = h('button', { type: 'submit' }, editing ? 'Save changes' : 'Create connector');
  const form = h(
    'form',
    { class: 'card editor-form', novalidate: true },
    formats,
    h('div', { class: 'field' }, h('label', { for: editorId }, 'Definition'), editor),
    h(
      'p',
      { class: 'hint', id: hintId },
      'Fields: display_name, proxy_url, auth_patterns (API_KEY, BEARER, BASIC or OAUTH) — see the ',
      h('a', { href: '/api/connector-definition.schema.json', target: '_blank', rel: 'noopener' }, 'definition schema'),
      '. Secrets never go here: users enter them on the authorization page.',
    ),
    problemsBox,
    h('div', { class: 'actions' }, save, h('a', { href: '#/connectors', class: 'btn btn-secondary' }, 'Cancel')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // A pending syntax check would otherwise clear the server's problems when it fires.
    window.clearTimeout(timer);
    const definition = await check();
    if (definition === undefined) {
      editor.focus();
      return;
    }
    try {
      const { provider, warnings = [] } = await busy(save, () =>
        editing
          ? api.put<Saved>(`/api/v1/custom-providers/${encodeURIComponent(editing)}`, definition)
          : api.post<Saved>('/api/v1/custom-providers', definition),
      );
      announce(`Connector ${provider.display_name} saved`);
      if (warnings.length === 0) return navigate('/connectors');
      // Saved, but it will not work as it is: say so before the user moves on.
      const located = await locate(editor.value, warnings);
      form.replaceWith(savedWithWarnings(provider, located));
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) {
        const located = await locate(editor.value, error.problems);
        showProblems(`${error.problems.length === 1 ? 'One problem' : `${error.problems.length} problems`} to fix`, located);
        problemsBox.querySelector<HTMLElement>('button')?.focus();
      } else {
        replace(problemsBox, errorBox(error));
      }
    }
  });
  main.append(form);
}

/** What the server says a saved definition will run into (a proxy_url its egress policy refuses). */
interface Saved {
  provider: Provider;
  warnings?: Array<{ code: string; path: string; message: string }>;
}

function savedWithWarnings(provider: Provider, warnings: Located[]): HTMLElement {
  const heading = h('h2', { tabindex: '-1' }, `${provider.display_name} is saved, but calls to it will be refused`);
  const box = h(
    'div',
    { class: 'card' },
    h(
      'div',
      { class: 'alert alert-info', role: 'alert' },
      heading,
      h(
        'ul',
        { class: 'problem-list' },
        warnings.map((warning) => h('li', {}, h('code', {}, `${warning.line ? `Line ${warning.line}: ` : ''}${warning.path}`), ` ${warning.message}`)),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h('a', { href: `#/connectors/${encodeURIComponent(provider.identifier)}/edit`, class: 'btn' }, 'Edit connector'),
      h('a', { href: '#/connectors', class: 'btn btn-secondary' }, 'Back to connectors'),
    ),
  );
  window.setTimeout(() => heading.focus(), 0);
  return box;
}

function goToLine(editor: HTMLTextAreaElement, line: number): void {
  const start = offsetOfLine(editor.value, line);
  const end = editor.value.indexOf('\n', start);
  editor.focus();
  editor.setSelectionRange(start, end < 0 ? editor.value.length : end);
  // Scroll the selected line into view: line height times the line index.
  const lineHeight = Number.parseFloat(getComputedStyle(editor).lineHeight) || 20;
  editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
}
