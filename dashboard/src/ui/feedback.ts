import { h, replace } from '../dom.ts';

/** One polite live region for "Copied", "Saved", "Deleted" (WCAG 4.1.3 status messages). */
let region: HTMLElement | undefined;

export function liveRegion(): HTMLElement {
  region ??= h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true', id: 'announcer' });
  return region;
}

export function announce(message: string): void {
  const target = liveRegion();
  // Clearing first makes screen readers repeat an identical message.
  target.textContent = '';
  window.setTimeout(() => {
    target.textContent = message;
  }, 50);
}

/** Asks before a destructive action, with a native modal dialog (focus trapped, Escape cancels). */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Date.now()}`;
    const cancel = h('button', { type: 'button', class: 'btn-secondary' }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'btn-danger' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'card' }, h('h2', { id: titleId }, title), h('p', {}, message), h('div', { class: 'actions' }, cancel, confirm));
    const opener = document.activeElement as HTMLElement | null;
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      opener?.focus();
      resolve(answer);
    };
    cancel.addEventListener('click', () => close(false));
    confirm.addEventListener('click', () => close(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A read-only text box with a Copy button, for links and redirect URIs. */
export function copyField(label: string, value: string, options: { id?: string } = {}): HTMLElement {
  const id = options.id ?? `copy-${Math.random().toString(36).slice(2)}`;
  const input = h('input', { id, type: 'text', readonly: true, value, class: 'code', spellcheck: 'false' });
  const button = h('button', { type: 'button', class: 'btn-secondary' }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // No clipboard permission (e.g. plain http): select the text so Ctrl+C works.
      input.select();
      document.execCommand?.('copy');
    }
    announce(`${label} copied`);
    replace(button, 'Copied');
    window.setTimeout(() => replace(button, 'Copy'), 2000);
  });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, input, button));
}

export function emptyState(title: string, text: string | Node, action?: Node): HTMLElement {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), h('p', { class: 'muted' }, text), action);
}

/** Shows a failed row action (delete, disable) under its section's heading, replacing the last one. */
export function sectionError(from: Element, error: unknown): void {
  const section = from.closest('section');
  if (!section) return;
  section.querySelector(':scope > .section-error')?.remove();
  const box = errorBox(error);
  box.classList.add('section-error');
  section.querySelector(':scope > h2')?.after(box);
}

export function errorBox(error: unknown): HTMLElement {
  return h('div', { class: 'alert alert-error', role: 'alert' }, h('p', {}, error instanceof Error ? error.message : String(error)));
}
