import { api } from './api.ts';
import type { Provider } from './types.ts';

interface ProvidersPage {
  providers: Provider[];
  next_page_token: string | null;
}

/** Every connector of one kind, all pages: DEFAULT (the built-in catalog) or CUSTOM; sorted by name. */
export async function allProviders(kind: 'DEFAULT' | 'CUSTOM'): Promise<Provider[]> {
  const all: Provider[] = [];
  let token: string | null = null;
  do {
    const page: ProvidersPage = await api.get<ProvidersPage>('/api/v1/providers', { 'filter.provider_type': kind, page_size: 100, page_token: token });
    all.push(...page.providers.filter((p) => p.is_custom === (kind === 'CUSTOM')));
    token = page.next_page_token;
  } while (token);
  return all.sort((a, b) => a.display_name.localeCompare(b.display_name, undefined, { sensitivity: 'base' }));
}
