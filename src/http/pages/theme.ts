import { createHash } from 'node:crypto';
import { type Brand, brandCss, DEFAULT_BRAND, logoSource } from './brand.ts';
import { themeStylesheet } from './package-files.ts';

/** How the hosted pages look for one brand: the inline stylesheet and the headers that allow exactly it. */
export interface PageLook {
  brand: Brand;
  style: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * O6: no referrer (the URL holds a link token), no caching, no framing, no third-party
 * resources. The one inline stylesheet is allowed by its hash, not by 'unsafe-inline'; the only
 * other origin is the configured logo's.
 */
export function pageLook(brand: Brand = DEFAULT_BRAND): PageLook {
  const style = `${themeStylesheet()}\n${brandCss(brand)}`;
  const hash = createHash('sha256').update(style).digest('base64');
  const logo = logoSource(brand);
  return {
    brand,
    style,
    headers: Object.freeze({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'none'; style-src 'sha256-${hash}'; img-src 'self' data:${logo ? ` ${logo}` : ''}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    }),
  };
}

let defaultLook: PageLook | undefined;

/** The unbranded look, for pages rendered without a configured brand. */
export function defaultPageLook(): PageLook {
  defaultLook ??= pageLook(DEFAULT_BRAND);
  return defaultLook;
}
