import { h } from '../dom.ts';
import type { AccountStatus } from '../types.ts';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

export function fromNow(iso: string, now = Date.now()): string {
  const delta = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  }
  return '';
}

/** A <time> showing "5 minutes ago", with the exact local time as its tooltip. */
export function timeAgo(iso: string | null, empty = 'Never'): Node {
  if (!iso) return h('span', { class: 'muted' }, empty);
  return h('time', { datetime: iso, title: dateTime.format(new Date(iso)) }, fromNow(iso));
}

export function timeExact(iso: string, short = false): Node {
  return h('time', { datetime: iso, title: dateTime.format(new Date(iso)) }, short ? timeOnly.format(new Date(iso)) : dateTime.format(new Date(iso)));
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1_048_576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1_048_576).toFixed(1)} MB`;
}

const STATUS_TONE: Record<AccountStatus, string> = {
  ACTIVE: 'success',
  EXPIRED: 'warning',
  PENDING_AUTH: 'neutral',
  PENDING_VERIFICATION: 'neutral',
  DISCONNECTED: 'danger',
};

export function statusBadge(status: AccountStatus): HTMLElement {
  return h('span', { class: `badge badge-${STATUS_TONE[status] ?? 'neutral'}` }, status);
}

export function httpBadge(status: number): HTMLElement {
  const tone = status >= 500 ? 'danger' : status >= 400 ? 'warning' : status >= 200 && status < 400 ? 'success' : 'neutral';
  return h('span', { class: `badge badge-${tone}` }, String(status));
}
