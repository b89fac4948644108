import { defaultPageLook, type PageLook } from './theme.ts';

/** Minimal, dependency-free HTML for the hosted pages. Everything interpolated goes through `escapeHtml` (O8). */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Headers of the unbranded look; a branded page must be sent with its own `look.headers`. */
export const PAGE_HEADERS = defaultPageLook().headers;

/** A hosted page: the brand on top, one card, the shared stylesheet inline (allowed by its CSP hash). */
export function page(title: string, body: string, look: PageLook = defaultPageLook()): string {
  const { brand } = look;
  // The name is printed beside the logo, so the image itself is decorative.
  const mark = brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="">` : `<span class="brand-dot" aria-hidden="true">${escapeHtml(brand.name.slice(0, 1).toUpperCase())}</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · ${escapeHtml(brand.name)}</title>
<style>${look.style}</style>
</head>
<body>
<div class="hosted">
<header><span class="brand">${mark}<span>${escapeHtml(brand.name)}</span></span></header>
<main class="card">
${body}
</main>
<footer>Secured by ${escapeHtml(brand.name)}</footer>
</div>
</body>
</html>`;
}

export type Tone = 'success' | 'error' | 'info';

const ICONS: Record<Tone, string> = { success: '✓', error: '!', info: 'i' };

/** A one-message page: success, failure (expired link, OAuth error) or information. */
export function messagePage(title: string, message: string, options: { tone?: Tone; look?: PageLook } = {}): string {
  const tone = options.tone ?? 'info';
  return page(
    title,
    `<div class="status-icon ${tone}" aria-hidden="true">${ICONS[tone]}</div>
<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(message)}</p>`,
    options.look,
  );
}
