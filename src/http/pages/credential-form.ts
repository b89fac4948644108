import type { AuthPattern } from '../../connectors/definition-schema.ts';
import type { Problem } from '../../errors.ts';
import { escapeHtml, page } from './html.ts';
import type { PageLook } from './theme.ts';

export interface CredentialFormInput {
  connectorName: string;
  pattern: AuthPattern;
  /** Field names that are template values (shown as text, required). */
  configFields: ReadonlySet<string>;
  /** Values to show again after a failed submit; never secrets. */
  values?: Record<string, string>;
  problems?: Problem[];
  formError?: string;
  look?: PageLook;
}

/** The hosted form built from the pattern's `fields` (reference §3.5). */
export function credentialFormPage(input: CredentialFormInput): string {
  const { connectorName, pattern, configFields, values = {}, problems = [], formError } = input;
  const problemOf = (name: string) => problems.find((p) => p.path === `/${name}`)?.message;
  const fields = (pattern.fields ?? []).map((field) => {
    const id = `f-${field.field_name}`;
    const secret = field.input_type === 'password';
    const required = field.required === true || configFields.has(field.field_name);
    const problem = problemOf(field.field_name);
    const value = !secret && values[field.field_name] ? ` value="${escapeHtml(values[field.field_name] as string)}"` : '';
    const described = [field.hint ? `${id}-hint` : '', problem ? `${id}-error` : ''].filter(Boolean).join(' ');
    return `<div class="field">
<label for="${id}">${escapeHtml(field.label ?? field.field_name)}${required ? '' : ' <span class="optional">(optional)</span>'}</label>
<input id="${id}" name="${escapeHtml(field.field_name)}" type="${secret ? 'password' : 'text'}" autocomplete="off" spellcheck="false"${
      required ? ' required aria-required="true"' : ''
    }${problem ? ' aria-invalid="true"' : ''}${described ? ` aria-describedby="${described}"` : ''}${value}>
${field.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(field.hint)}</p>` : ''}
${problem ? `<p class="error" id="${id}-error">${escapeHtml(problem)}</p>` : ''}
</div>`;
  });
  const unplaced = problems.filter((p) => !(pattern.fields ?? []).some((f) => p.path === `/${f.field_name}`));
  const alert = [formError, ...unplaced.map((p) => `${p.path.slice(1)} ${p.message}`)].filter(Boolean);
  const title = `Connect ${connectorName}`;
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(pattern.description ?? `Enter your ${pattern.display_name ?? 'credentials'} to connect.`)}</p>
${alert.length ? `<div class="alert alert-error" role="alert">${alert.map((a) => `<p>${escapeHtml(a as string)}</p>`).join('')}</div>` : ''}
${problems.length && !alert.length ? '<div class="alert alert-error" role="alert"><p>Please correct the fields marked below.</p></div>' : ''}
<form method="post" novalidate>
${fields.join('\n')}
<button type="submit">Connect</button>
</form>`,
    input.look,
  );
}
