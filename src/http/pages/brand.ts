/**
 * Brand colours. The configured accent is used as given for buttons and badges; the text that
 * sits on it and the accent used as text are derived so they keep WCAG AA contrast (4.5:1)
 * whatever colour the operator picks.
 */

export interface Brand {
  name: string;
  /** `#rgb` or `#rrggbb`, validated by the config. */
  color: string;
  /** An https URL or a data:image URI, validated by the config. */
  logoUrl: string | undefined;
}

export const DEFAULT_BRAND: Brand = Object.freeze({ name: 'toolproxy', color: '#4f46e5', logoUrl: undefined });

type Rgb = [number, number, number];

/** Every background text sits on in theme.css (surfaces, hover rows, alert and badge fills). */
const LIGHT_SURFACES: Rgb[] = [[0xff, 0xff, 0xff], [0xf1, 0xf3, 0xf6], [0xec, 0xfd, 0xf3], [0xfe, 0xf3, 0xf2], [0xff, 0xfa, 0xeb], [0xf2, 0xf4, 0xf7]];
const DARK_SURFACES: Rgb[] = [[0x0e, 0x11, 0x16], [0x16, 0x1b, 0x22], [0x1f, 0x26, 0x30], [0x26, 0x2d, 0x38], [0x0c, 0x2a, 0x1c], [0x3a, 0x15, 0x12], [0x33, 0x23, 0x0b]];

/** The custom properties brand.css sets for the dashboard and the hosted pages. */
export function brandCss(brand: Brand): string {
  const accent = parseHex(brand.color);
  const onAccent = contrast(accent, [255, 255, 255]) >= contrast(accent, [0, 0, 0]) ? '#ffffff' : '#000000';
  return `html:root{--accent:${toHex(accent)};--on-accent:${onAccent};--accent-text:${toHex(readableOn(accent, LIGHT_SURFACES, [0, 0, 0]))};--accent-text-dark:${toHex(readableOn(accent, DARK_SURFACES, [255, 255, 255]))}}`;
}

/** Mixes `color` towards `toward` until it reads on every surface at 4.5:1 (WCAG 2.2 SC 1.4.3). */
function readableOn(color: Rgb, surfaces: Rgb[], toward: Rgb): Rgb {
  for (let step = 0; step <= 20; step++) {
    const t = step / 20;
    const mixed = color.map((c, i) => Math.round(c + (toward[i]! - c) * t)) as Rgb;
    if (surfaces.every((surface) => contrast(mixed, surface) >= 4.5)) return mixed;
  }
  return toward;
}

function parseHex(hex: string): Rgb {
  const digits = hex.slice(1);
  const full = digits.length === 3 ? [...digits].map((d) => d + d).join('') : digits;
  return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2.2 relative luminance and contrast ratio. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The CSP source that lets the logo load: its origin, or `data:` (already allowed). */
export function logoSource(brand: Brand): string | undefined {
  if (!brand.logoUrl || brand.logoUrl.startsWith('data:')) return undefined;
  return new URL(brand.logoUrl).origin;
}
