import { ApiError, api } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { Connection, RequestLogEntry, StatsBucket } from '../types.ts';
import { chart } from '../ui/chart.ts';
import { emptyState, errorBox } from '../ui/feedback.ts';
import { busy, field } from '../ui/form.ts';
import { bytes, httpBadge, timeExact } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

interface LogPage {
  entries: RequestLogEntry[];
  next_before: string | null;
}

/** Time windows and their bucket sizes: about 30-60 points per chart. */
const WINDOWS = [
  { minutes: 15, bucket: 30, label: 'Last 15 minutes' },
  { minutes: 60, bucket: 60, label: 'Last hour' },
  { minutes: 360, bucket: 600, label: 'Last 6 hours' },
  { minutes: 1440, bucket: 1800, label: 'Last 24 hours' },
] as const;

const STATUSES = [
  ['', 'Any status'],
  ['success', 'Successful (below 400)'],
  ['error', 'Failed (400 and above, or broken off)'],
  ['4xx', 'Client errors (4xx)'],
  ['5xx', 'Server errors (5xx)'],
] as const;

const AUTO_REFRESH_MS = 10_000;

/** Latest proxy calls with filters, and charts of volume, error rate and latency. */
export async function renderRequestLog({ main, signal }: PageContext): Promise<void> {
  const connection = field('Connection', h('select', { name: 'connection_name' }, h('option', { value: '' }, 'All connections')));
  const identifier = field('Identifier or account id', h('input', { name: 'identifier', type: 'search', autocomplete: 'off', spellcheck: 'false' }));
  const tool = field('Tool', h('input', { name: 'tool_name', type: 'search', autocomplete: 'off', spellcheck: 'false' }), { hint: 'Tool and MCP calls of this tool.' });
  const status = field('Status', h('select', { name: 'status' }, STATUSES.map(([value, label]) => h('option', { value }, label))));
  const windowChoice = field('Time window', h('select', { name: 'window' }, WINDOWS.map((w, i) => h('option', { value: String(i), selected: w.minutes === 60 }, w.label))));
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', name: 'auto_refresh' });
  const refreshButton = h('button', { type: 'submit', class: 'btn-secondary' }, 'Refresh');
  const filters = h(
    'form',
    { role: 'search', 'aria-label': 'Filter the request log', class: 'filters' },
    connection.wrapper,
    identifier.wrapper,
    tool.wrapper,
    status.wrapper,
    windowChoice.wrapper,
    h('div', { class: 'actions' }, refreshButton, h('label', { class: 'choice', for: 'auto-refresh' }, auto, ' Auto-refresh')),
  );
  const charts = h('div', { class: 'charts', 'aria-live': 'off' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const entries = h('div', {});
  const more = h('div', {});

  main.append(
    pageHeader('Request log', 'Calls made through the Tool Proxy: who called what, how it went and how long it took.'),
    filters,
    section('Traffic', charts),
    section('Latest calls', summary, entries, more),
  );

  let rows: RequestLogEntry[] = [];
  let before: string | null = null;
  const query = () => {
    const who = identifier.control.value.trim();
    return {
      connection_name: connection.control.value,
      // Account ids have a fixed prefix; anything else is the application's identifier.
      ...(who.startsWith('ca_') ? { account_id: who } : { identifier: who }),
      tool_name: tool.control.value.trim(),
      status: status.control.value,
      limit: 50,
    };
  };

  const drawEntries = () => {
    summary.textContent = rows.length ? `Showing the latest ${rows.length} call${rows.length === 1 ? '' : 's'}.` : '';
    replace(
      entries,
      rows.length === 0
        ? emptyState('No calls yet', 'Calls through /proxy appear here as they happen.')
        : table(
            'Latest proxy calls',
            ['Time', 'Connection', 'Account', 'Request', 'Status', 'Latency', 'Bytes in / out', 'Error'],
            rows.map((e) => [
              timeExact(e.created_at, true),
              h('code', {}, e.connection_name),
              e.identifier || e.account_id
                ? h('span', { class: 'stack' }, e.identifier ?? '', e.account_id ? h('code', { class: 'muted small' }, e.account_id) : null)
                : h('span', { class: 'muted' }, '—'),
              h(
                'span',
                { class: 'stack' },
                h('span', { class: 'request' }, h('strong', {}, e.method), ' ', h('code', { class: 'url' }, e.path)),
                // A tool or MCP call names its tool (and an approved call says so).
                e.tool_name ? h('span', { class: 'small' }, `${e.door === 'mcp' ? 'MCP tool' : 'tool'} `, h('code', {}, e.tool_name)) : e.door === 'approval' ? h('span', { class: 'small muted' }, 'approved call') : null,
              ),
              httpBadge(e.status),
              `${Math.round(e.latency_ms)} ms`,
              `${bytes(e.bytes_in)} / ${bytes(e.bytes_out)}`,
              e.error_code ? h('code', {}, e.error_code) : h('span', { class: 'muted' }, '—'),
            ]),
          ),
    );
    if (before) {
      const button = h('button', { type: 'button', class: 'btn-secondary' }, 'Load older calls');
      button.addEventListener('click', () => void busy(button, () => loadEntries(true)));
      replace(more, button);
    } else more.replaceChildren();
  };

  const loadEntries = async (older: boolean) => {
    const page = await api.get<LogPage>('/api/v1/request_log', { ...query(), before: older ? before : undefined });
    if (signal.aborted) return;
    rows = older ? [...rows, ...page.entries] : page.entries;
    before = page.next_before;
    drawEntries();
  };

  const loadCharts = async () => {
    const w = WINDOWS[Number(windowChoice.control.value)] ?? WINDOWS[1];
    const { buckets } = await api.get<{ buckets: StatsBucket[] }>('/api/v1/request_log/stats', {
      window_minutes: w.minutes,
      bucket_seconds: w.bucket,
      connection_name: connection.control.value,
    });
    if (signal.aborted) return;
    replace(charts, trafficCharts(buckets, w.label.toLowerCase()));
  };

  const refresh = async () => {
    try {
      await Promise.all([loadEntries(false), loadCharts()]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ROUTE_NOT_FOUND') {
        replace(charts, h('p', { class: 'alert alert-info' }, 'This server does not record proxy calls yet (no request log API).'));
        entries.replaceChildren();
        return;
      }
      replace(entries, errorBox(error));
    }
  };

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(refreshButton, refresh);
  });
  for (const select of [connection.control, status.control, windowChoice.control]) select.addEventListener('change', () => void refresh());

  let timer: number | undefined;
  auto.addEventListener('change', () => {
    window.clearInterval(timer);
    if (auto.checked) timer = window.setInterval(() => void refresh(), AUTO_REFRESH_MS);
  });
  signal.addEventListener('abort', () => window.clearInterval(timer));

  try {
    const { connections } = await api.get<{ connections: Connection[] }>('/api/v1/connections', { page_size: 100 });
    connection.control.append(...connections.map((c) => h('option', { value: c.name }, c.name)));
  } catch {
    // The filter still works by typing; the log itself reports real errors below.
  }
  await refresh();
}

function trafficCharts(buckets: StatsBucket[], windowLabel: string): HTMLElement[] {
  const times = buckets.map((b) => new Date(b.start));
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
  const peak = Math.max(0, ...buckets.map((b) => b.count));
  const rates = buckets.map((b) => (b.count ? (b.errors / b.count) * 100 : null));
  const p50 = buckets.map((b) => b.p50_ms);
  const p99 = buckets.map((b) => b.p99_ms);
  const worstP99 = Math.max(0, ...p99.filter((v): v is number => v !== null));
  const ms = (v: number) => `${Math.round(v)} ms`;
  return [
    chart({
      id: 'chart-volume',
      title: 'Requests',
      kind: 'bar',
      times,
      series: [{ label: 'requests', values: buckets.map((b) => b.count), tone: 'series-1' }],
      format: (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
      summary: total ? `${total} call${total === 1 ? '' : 's'} in the ${windowLabel}, at most ${peak} per interval.` : `No calls in the ${windowLabel}.`,
    }),
    chart({
      id: 'chart-errors',
      title: 'Error rate',
      kind: 'line',
      times,
      series: [{ label: 'errors', values: rates, tone: 'series-3' }],
      format: (v) => `${Math.round(v)}%`,
      max: 100,
      summary: total ? `${errors} of ${total} calls failed (${((errors / total) * 100).toFixed(1)}%).` : 'No calls, no errors.',
    }),
    chart({
      id: 'chart-latency',
      title: 'Latency',
      kind: 'line',
      times,
      series: [
        { label: 'p50', values: p50, tone: 'series-1' },
        { label: 'p99', values: p99, tone: 'series-2' },
      ],
      format: ms,
      summary: total ? `p99 latency peaked at ${ms(worstP99)}.` : 'No latency data.',
    }),
  ];
}
