import { brandMark } from '../brand.ts';
import { h } from '../dom.ts';
import { signIn } from '../session.ts';
import { busy, field, formAlert } from '../ui/form.ts';

/** Sign in with an API client's id and secret; the secret never leaves memory. */
export function renderSignIn(root: HTMLElement, onSignedIn: () => void, notice?: string): void {
  const clientId = field('Client ID', h('input', { name: 'client_id', type: 'text', required: true, autocomplete: 'username', spellcheck: 'false' }));
  const clientSecret = field(
    'Client secret',
    h('input', { name: 'client_secret', type: 'password', required: true, autocomplete: 'current-password' }),
    { hint: 'Any API client works, e.g. the bootstrap client printed when the server started.' },
  );
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn-block' }, 'Sign in');
  const form = h('form', { novalidate: true, 'aria-labelledby': 'signin-title' }, alert, clientId.wrapper, clientSecret.wrapper, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.clear();
    clientId.setError(clientId.control.value.trim() ? undefined : 'Enter the client ID.');
    clientSecret.setError(clientSecret.control.value ? undefined : 'Enter the client secret.');
    const missing = [clientId, clientSecret].find((f) => f.control.getAttribute('aria-invalid'));
    if (missing) {
      missing.control.focus();
      return;
    }
    try {
      await busy(submit, () => signIn(clientId.control.value.trim(), clientSecret.control.value));
      clientSecret.control.value = '';
      onSignedIn();
    } catch (error) {
      alert.show([(error as Error).message]);
      clientSecret.control.focus();
    }
  });
  root.replaceChildren(
    h(
      'div',
      { class: 'hosted signin' },
      h('header', {}, brandMark()),
      h(
        'main',
        { class: 'card' },
        h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in to the dashboard'),
        notice ? h('p', { class: 'alert alert-info', role: 'status' }, notice) : h('p', { class: 'lead' }, 'Manage connectors, connections and connected accounts.'),
        form,
      ),
    ),
  );
  clientId.control.focus();
}
