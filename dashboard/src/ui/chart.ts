import { h, svg } from '../dom.ts';

/**
 * Small hand-made SVG charts (no library): bars for volume, lines for rates and latencies.
 * Colours come from CSS classes; each chart is one labelled image with a text summary, and every
 * bar and point carries a <title> tooltip.
 */

export interface Series {
  label: string;
  /** One value per bucket; null where there is no data (the line breaks there). */
  values: (number | null)[];
  /** CSS class giving the series its colour (series-1 … series-3). */
  tone: string;
}

export interface ChartInput {
  id: string;
  title: string;
  /** Bucket start times. */
  times: Date[];
  series: Series[];
  kind: 'bar' | 'line';
  format: (value: number) => string;
  /** Text read out instead of the drawing. */
  summary: string;
  /** Fixed top of the scale (e.g. 100 for percentages). */
  max?: number;
}

const WIDTH = 360;
const HEIGHT = 180;
const PAD = { top: 10, right: 8, bottom: 22, left: 46 };

export function chart(input: ChartInput): HTMLElement {
  const { id, title, times, series, kind, format } = input;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = input.max ?? niceMax(Math.max(0, ...all));
  const n = Math.max(times.length, 1);
  const step = plotW / n;
  const x = (i: number) => PAD.left + step * i + step / 2;
  const y = (v: number) => PAD.top + plotH - (max === 0 ? 0 : (v / max) * plotH);
  const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

  const grid = [0, 0.5, 1].map((f) => {
    const value = max * f;
    return svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, format(value)),
    );
  });
  const ticks = times.length
    ? [0, Math.floor((times.length - 1) / 2), times.length - 1].map((i) =>
        svg('text', { class: 'tick', x: x(i), y: HEIGHT - 6, 'text-anchor': i === 0 ? 'start' : i === times.length - 1 ? 'end' : 'middle' }, time.format(times[i]!)),
      )
    : [];

  const marks = series.map((s) => {
    if (kind === 'bar') {
      const barW = Math.max(1, step * 0.7);
      return svg(
        'g',
        { class: `bars ${s.tone}` },
        s.values.map((v, i) =>
          v === null || v === 0
            ? null
            : svg('rect', { x: x(i) - barW / 2, y: y(v), width: barW, height: Math.max(1, PAD.top + plotH - y(v)), rx: 1 }, svg('title', {}, `${time.format(times[i]!)}: ${s.label} ${format(v)}`)),
        ),
      );
    }
    let d = '';
    let pen = false;
    for (const [i, v] of s.values.entries()) {
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    }
    return svg(
      'g',
      { class: `line ${s.tone}` },
      d ? svg('path', { d, fill: 'none' }) : null,
      s.values.map((v, i) => (v === null ? null : svg('circle', { cx: x(i), cy: y(v), r: 2 }, svg('title', {}, `${time.format(times[i]!)}: ${s.label} ${format(v)}`)))),
    );
  });

  const drawing = svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, class: 'chart', 'data-points': all.length },
    svg('title', { id: `${id}-title` }, title),
    svg('desc', { id: `${id}-desc` }, input.summary),
    ...grid,
    ...ticks,
    ...marks,
  );
  const legend =
    series.length > 1
      ? h('ul', { class: 'legend', 'aria-hidden': 'true' }, series.map((s) => h('li', {}, h('span', { class: `swatch ${s.tone}` }), s.label)))
      : null;
  return h('figure', { class: 'card chart-card', id }, h('figcaption', {}, h('strong', {}, title), h('span', { class: 'muted' }, input.summary)), drawing, legend);
}

/** 1, 2 or 5 times a power of ten, at least `value` (and at least 1). */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}
