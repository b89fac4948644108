import { ApiError } from '../api.ts';
import { h, replace, uid } from '../dom.ts';
import type { Problem } from '../types.ts';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface Field<C extends Control = Control> {
  wrapper: HTMLDivElement;
  control: C;
  setError(message?: string): void;
}

/** A labelled control with an optional hint and an error slot, wired with aria-describedby. */
export function field<C extends Control>(label: string, control: C, options: { hint?: string | Node; optional?: boolean } = {}): Field<C> {
  const id = control.id || uid('f');
  control.id = id;
  const hint = options.hint ? h('p', { class: 'hint', id: `${id}-hint` }, options.hint) : undefined;
  const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const describe = (withError: boolean) => {
    const ids = [hint ? hint.id : '', withError ? error.id : ''].filter(Boolean).join(' ');
    if (ids) control.setAttribute('aria-describedby', ids);
    else control.removeAttribute('aria-describedby');
  };
  describe(false);
  if (control.required) control.setAttribute('aria-required', 'true');
  const wrapper = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, options.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    control,
    hint,
    error,
  );
  return {
    wrapper,
    control,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = !message;
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      describe(Boolean(message));
    },
  };
}

/** The form-level error box: announced when it appears (role=alert), empty and hidden otherwise. */
export function formAlert(): HTMLDivElement & { show(messages: string[]): void; clear(): void } {
  const box = h('div', { class: 'alert alert-error', role: 'alert', hidden: true }) as HTMLDivElement & { show(messages: string[]): void; clear(): void };
  box.show = (messages) => {
    replace(box, messages.length === 1 ? h('p', {}, messages[0]) : h('ul', {}, messages.map((m) => h('li', {}, m))));
    box.hidden = false;
  };
  box.clear = () => {
    box.replaceChildren();
    box.hidden = true;
  };
  return box;
}

/** `/name`, `/body/name` and `/body/oauth/client_id` all belong to the field named by the last usable segment. */
function fieldFor(problem: Problem, fields: Record<string, Field>): Field | undefined {
  const segments = problem.path.split('/').filter(Boolean);
  if (segments[0] === 'body') segments.shift();
  return fields[segments.join('.')] ?? fields[segments[0] ?? ''] ?? fields[segments.at(-1) ?? ''];
}

/**
 * Shows an API error: each problem next to its field (focusing the first), the rest in the
 * form alert. Returns nothing; unexpected errors are shown as their message.
 */
export function showError(error: unknown, alert: ReturnType<typeof formAlert>, fields: Record<string, Field> = {}): void {
  for (const f of Object.values(fields)) f.setError();
  const messages: string[] = [];
  let first: Field | undefined;
  if (error instanceof ApiError && error.problems.length > 0) {
    for (const problem of error.problems) {
      const target = fieldFor(problem, fields);
      if (target) {
        target.setError(problem.message);
        first ??= target;
      } else messages.push(`${problem.path || 'request'}: ${problem.message}`);
    }
    if (messages.length === 0) messages.push(error.message.endsWith('details for every problem.') ? 'Please correct the fields marked below.' : error.message);
    else messages.unshift(error.message);
  } else {
    messages.push(error instanceof Error ? error.message : String(error));
  }
  alert.show(messages);
  first?.control.focus();
}

export function clearErrors(alert: ReturnType<typeof formAlert>, fields: Record<string, Field>): void {
  alert.clear();
  for (const f of Object.values(fields)) f.setError();
}

/** Disables the submit button while the action runs, so a double click cannot send twice. */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
