import { api } from '../api.ts';
import { h } from '../dom.ts';
import { announce } from '../ui/feedback.ts';
import { busy, clearErrors, field, formAlert, showError } from '../ui/form.ts';

interface StoredPolicy {
  policy: Record<string, unknown> | null;
  updated_at: string | null;
}

const EXAMPLE = '{\n  "allowed_methods": ["GET", "POST"],\n  "paths": { "deny": ["/admin/**"] },\n  "rate_limit": { "requests": 100, "per_seconds": 60 }\n}';

/**
 * A connection's policy (docs/policies.md) as JSON: shown, edited and saved, with every problem
 * the server finds (POLICY_INVALID) listed above the editor; deleting it allows every call again.
 */
export function policyPanel(connectionName: string): HTMLElement {
  const path = `/api/v1/connections/${encodeURIComponent(connectionName)}/policy`;
  const status = h('p', { class: 'hint', 'aria-live': 'polite' }, 'Loading…');
  const editor = field(
    `Policy of ${connectionName} (JSON)`,
    h('textarea', { name: 'policy', rows: 12, spellcheck: 'false', class: 'code', placeholder: EXAMPLE }),
    { hint: 'Methods, path globs (* one segment, ** any), read_only, tools, tools_only, rate_limit, max_request_body_bytes, require_approval. Empty: no policy.' },
  );
  const alert = formAlert();
  const save = h('button', { type: 'submit' }, 'Save policy');
  const remove = h('button', { type: 'button', class: 'btn-ghost danger' }, 'Delete policy');
  const form = h('form', { novalidate: true, class: 'narrow-form', 'aria-label': `Policy of ${connectionName}` }, alert, status, editor.wrapper, h('div', { class: 'row-actions' }, save, remove));

  const show = (stored: StoredPolicy) => {
    editor.control.value = stored.policy === null ? '' : JSON.stringify(stored.policy, null, 2);
    status.textContent = stored.policy === null ? 'No policy: every call is allowed.' : `Saved ${stored.updated_at ?? ''}`.trim();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(alert, {});
    let document: unknown;
    try {
      document = JSON.parse(editor.control.value.trim() || '{}');
    } catch (error) {
      alert.show([`The policy is not valid JSON: ${(error as Error).message}`]);
      return;
    }
    try {
      show(await busy(save, () => api.put<StoredPolicy>(path, document)));
      announce(`Policy of ${connectionName} saved`);
    } catch (error) {
      showError(error, alert);
    }
  });
  remove.addEventListener('click', async () => {
    clearErrors(alert, {});
    try {
      await busy(remove, () => api.delete(path));
      show({ policy: null, updated_at: null });
      announce(`Policy of ${connectionName} deleted`);
    } catch (error) {
      showError(error, alert);
    }
  });
  api.get<StoredPolicy>(path).then(show, (error: unknown) => showError(error, alert));
  return form;
}
