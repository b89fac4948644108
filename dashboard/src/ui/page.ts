import { h } from '../dom.ts';

/** The page heading: an h1 that takes focus after navigation (tabindex=-1), a lead line and actions. */
export function pageHeader(title: string, lead?: string, ...actions: Node[]): HTMLElement {
  return h(
    'div',
    { class: 'page-header' },
    h('div', {}, h('h1', { tabindex: '-1' }, title), lead ? h('p', { class: 'lead' }, lead) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

/** A titled card section; the title labels the region for screen-reader navigation. */
export function section(title: string, ...children: (Node | null | undefined | false)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** A data table with a caption (visible or not) and column headers with scope. */
export function table(caption: string, headers: string[], rows: (Node | string)[][], options: { captionVisible?: boolean } = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: options.captionVisible ? '' : 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))))),
    ),
  );
}
