/**
 * Hash routes (#/connectors, #/connectors/acme/edit, …): the server serves one index.html and
 * needs no fallback route, and the back button works.
 */

export interface PageContext {
  main: HTMLElement;
  params: Record<string, string>;
  /** Aborted when the user navigates away: stop timers, ignore late answers. */
  signal: AbortSignal;
}

export type Page = (context: PageContext) => Promise<void> | void;

export interface Route {
  pattern: string;
  title: string;
  page: Page;
}

export function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/';
}

export function navigate(path: string): void {
  if (currentPath() === path) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}

/** Matches `/connectors/:identifier/edit` against a path; returns the decoded params. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('?')[0]!.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(got[i]!);
    else if (segment !== got[i]) return undefined;
  }
  return params;
}
