/**
 * The console's charts, drawn as inline SVG (no chart library, nothing loaded from elsewhere). Each
 * chart is an `<svg role="img">` whose label says its numbers, and each datum is a `<g class="datum">`
 * carrying its values as data attributes (what the browser tests compare with the analytics API) and a
 * `<title>` shown on hover. Colours come from the page's CSS classes (`s-<series>`).
 */

const NS = 'http://www.w3.org/2000/svg';
/** The drawing's width in user units; the SVG scales to its box's width. */
const WIDTH = 960;
const LABEL_W = 230;
const NOTE_W = 220;
const ROW_H = 22;

type Attrs = Record<string, string | number>;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  text = '',
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text) node.textContent = text;
  return node;
}

function canvas(height: number, label: string): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': label });
  root.classList.add('chart-svg');
  return root;
}

/** One group of a chart: its values as `data-*` attributes and a hover title. */
function datum(key: string, values: Record<string, number | string>, title: string): SVGGElement {
  const g = svg('g', { class: 'datum', 'data-key': key });
  for (const [k, v] of Object.entries(values)) g.dataset[k] = String(v);
  g.append(svg('title', {}, title));
  return g;
}

/** A horizontal bar made of segments (series name → value), one row per item. */
export interface BarRow {
  key: string;
  label: string;
  segments: [series: string, value: number][];
  note: string;
  values: Record<string, number | string>;
}

/** Horizontal stacked bars on one scale (the longest bar fills the width). */
export function barChart(rows: BarRow[], label: string): SVGSVGElement {
  const root = canvas(Math.max(1, rows.length) * ROW_H + 4, label);
  const span = WIDTH - LABEL_W - NOTE_W - 16;
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((s, [, v]) => s + v, 0)));
  rows.forEach((r, i) => {
    const y = i * ROW_H + 2;
    const g = datum(r.key, r.values, `${r.label}: ${r.note}`);
    g.append(
      svg('text', { x: LABEL_W - 8, y: y + 14, 'text-anchor': 'end', class: 'c-label' }, clip(r.label, 34)),
    );
    g.append(svg('rect', { x: LABEL_W, y: y + 3, width: span, height: ROW_H - 8, class: 'track' }));
    let x = LABEL_W;
    for (const [series, value] of r.segments) {
      const w = (span * value) / max;
      if (w > 0) g.append(svg('rect', { x, y: y + 3, width: w, height: ROW_H - 8, class: `s-${series}` }));
      x += w;
    }
    g.append(svg('text', { x: LABEL_W + span + 8, y: y + 14, class: 'c-note' }, r.note));
    root.append(g);
  });
  return root;
}

/** One column of a stacked column chart (a day). */
export interface Column {
  key: string;
  label: string;
  segments: [series: string, value: number][];
}

/** Stacked columns over time, with the largest total marked on the axis. */
export function columnChart(columns: Column[], label: string): SVGSVGElement {
  const height = 180;
  const base = height - 24;
  const root = canvas(height, label);
  const max = Math.max(1, ...columns.map((c) => c.segments.reduce((s, [, v]) => s + v, 0)));
  const left = 36;
  const step = (WIDTH - left - 16) / Math.max(1, columns.length);
  const every = Math.ceil(columns.length / 15); // at most ~15 labels on the axis
  root.append(
    svg('line', { x1: left, y1: base, x2: WIDTH, y2: base, class: 'axis' }),
    svg('text', { x: left - 6, y: 12, 'text-anchor': 'end', class: 'c-note' }, String(max)),
    svg('text', { x: left - 6, y: base, 'text-anchor': 'end', class: 'c-note' }, '0'),
  );
  columns.forEach((c, i) => {
    const values = Object.fromEntries(c.segments);
    const total = c.segments.reduce((s, [, v]) => s + v, 0);
    const parts = c.segments.map(([s, v]) => `${s} ${v}`).join(', ');
    const g = datum(c.key, values, `${c.key}: ${total} (${parts})`);
    const w = Math.min(step * 0.7, 48); // a few days' columns stay columns, not blocks
    const x = left + i * step + (step - w) / 2;
    let y = base;
    for (const [series, value] of c.segments) {
      const h = ((base - 16) * value) / max;
      if (h > 0) g.append(svg('rect', { x, y: y - h, width: w, height: h, class: `s-${series}` }));
      y -= h;
    }
    if (i % every === 0)
      g.append(
        svg('text', { x: x + w / 2, y: height - 8, 'text-anchor': 'middle', class: 'c-note' }, c.label),
      );
    root.append(g);
  });
  return root;
}

/** A rate with its interval (0–1), one row per item. */
export interface IntervalRow {
  key: string;
  label: string;
  rate: number;
  low: number;
  high: number;
  note: string;
  values: Record<string, number | string>;
}

/** Rates as dots with their intervals as whiskers, on a 0–100 % axis. */
export function intervalChart(rows: IntervalRow[], label: string): SVGSVGElement {
  const root = canvas(Math.max(1, rows.length) * ROW_H + 24, label);
  const span = WIDTH - LABEL_W - NOTE_W - 16;
  const at = (p: number) => LABEL_W + span * p;
  const axisY = rows.length * ROW_H + 8;
  root.append(svg('line', { x1: at(0), y1: axisY, x2: at(1), y2: axisY, class: 'axis' }));
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(
      svg('text', { x: at(p), y: axisY + 14, 'text-anchor': 'middle', class: 'c-note' }, `${p * 100} %`),
    );
  }
  rows.forEach((r, i) => {
    const y = i * ROW_H + 12;
    const g = datum(r.key, r.values, `${r.label}: ${r.note}`);
    g.append(
      svg('text', { x: LABEL_W - 8, y: y + 4, 'text-anchor': 'end', class: 'c-label' }, clip(r.label, 34)),
      svg('line', { x1: at(r.low), y1: y, x2: at(r.high), y2: y, class: 'whisker' }),
      svg('line', { x1: at(r.low), y1: y - 5, x2: at(r.low), y2: y + 5, class: 'whisker' }),
      svg('line', { x1: at(r.high), y1: y - 5, x2: at(r.high), y2: y + 5, class: 'whisker' }),
      svg('circle', { cx: at(r.rate), cy: y, r: 5, class: 's-rate' }),
      svg('text', { x: LABEL_W + span + 8, y: y + 4, class: 'c-note' }, r.note),
    );
    root.append(g);
  });
  return root;
}

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
