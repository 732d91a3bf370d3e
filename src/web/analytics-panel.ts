import { wilson } from '../experiments/statistics.js';
import type { SpeedToLead } from '../routing/speed.js';
import { el } from './dom.js';
import { barChart, columnChart, intervalChart } from './svg-charts.js';

/**
 * The console's Analytics tab: the analytics API's lead report (`GET /api/analytics/leads?from=&to=`)
 * for the range the agent picked (today, the last 7 or 30 days, or from one date to another), drawn as
 * inline SVG: the funnel, the classification mix per day, sources and campaigns, and the A/B variants'
 * SQL rates with their 95 % Wilson intervals. It is fetched when the tab is shown and the range changes,
 * and again shortly after the board changes while it is shown, so its numbers follow the leads.
 */

/** How long after a board change the panel asks again (changes in between share one request). */
const REFRESH_AFTER_MS = 1_000;
const DAY_MS = 86_400_000;

interface Group {
  leads: number;
  sql_leads: number;
  mql_leads?: number;
  conversion_rate: number;
}

interface AnalyticsData {
  from: string;
  to: string;
  total_leads: number;
  sql_leads: number;
  mql_leads: number;
  unqualified_leads: number;
  conversion_rate: number;
  by_day: { day: string; sql_leads: number; mql_leads: number; unqualified_leads: number }[];
  funnel: { step: string; reached: number; answered: number }[];
  by_campaign: (Group & { utm_source: string; utm_medium: string; utm_campaign: string })[];
  by_variant: (Group & { test_name: string; variant: string })[];
  by_classification: {
    classification: string;
    leads: number;
    average_fit_score: number;
    average_engagement_score: number;
  }[];
  speed_to_lead?: SpeedToLead;
}

/** What the agent picked: a preset that ends now, or whole local days from one date to another. */
export type RangeChoice = { preset: 'today' | '7' | '30' } | { from: string; to: string };

/** The instants a choice stands for now (a date range includes its last day). */
export function resolveRange(choice: RangeChoice, now = new Date()): { from: Date; to: Date } {
  if ('from' in choice) {
    const to = localMidnight(choice.to);
    to.setDate(to.getDate() + 1);
    return { from: localMidnight(choice.from), to };
  }
  if (choice.preset === 'today') {
    const from = new Date(now);
    from.setHours(0, 0, 0, 0);
    return { from, to: now };
  }
  return { from: new Date(now.getTime() - Number(choice.preset) * DAY_MS), to: now };
}

const localMidnight = (date: string) => {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y!, m! - 1, d!);
};
/** A date as `<input type=date>` holds it, in the agent's time zone. */
const dateValue = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const pct = (r: number) => `${(100 * r).toFixed(1)} %`;

/** Every UTC day of the range (the API groups by UTC day), those without leads at zero. */
function days(a: AnalyticsData): AnalyticsData['by_day'] {
  const known = new Map(a.by_day.map((d) => [d.day, d]));
  const out: AnalyticsData['by_day'] = [];
  const end = new Date(a.to).getTime();
  for (let t = Date.parse(a.from.slice(0, 10)); t < end && out.length < 400; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(known.get(day) ?? { day, sql_leads: 0, mql_leads: 0, unqualified_leads: 0 });
  }
  return out;
}

function figure(title: string, legend: [series: string, name: string][], chart: SVGSVGElement | null) {
  const box = el('figure', '', 'chart');
  box.append(el('figcaption', title));
  if (legend.length > 0) {
    const keys = el('p', '', 'legend');
    for (const [series, name] of legend) keys.append(el('span', '', `swatch s-${series}`), el('span', name));
    box.append(keys);
  }
  box.append(chart ?? el('p', 'No data in this range.'));
  return box;
}

function render(box: HTMLElement, a: AnalyticsData): void {
  const total = el('p', `${a.total_leads} leads, ${pct(a.conversion_rate)} SQL`, 'total');
  total.dataset.total = String(a.total_leads);
  const mix = el('p', `SQL ${a.sql_leads} · MQL ${a.mql_leads} · Unqualified ${a.unqualified_leads}`, 'mix');
  box.dataset.from = a.from;
  box.dataset.to = a.to;
  const CLASSES: [string, string][] = [
    ['sql', 'SQL'],
    ['mql', 'MQL'],
    ['unqualified', 'Unqualified'],
  ];
  const funnel = a.funnel.map((f) => ({
    key: f.step,
    label: f.step,
    segments: [
      ['answered', f.answered],
      ['reached', f.reached - f.answered],
    ] as [string, number][],
    note: `${f.answered}/${f.reached} answered`,
    values: { reached: f.reached, answered: f.answered },
  }));
  const perDay = days(a).map((d) => ({
    key: d.day,
    label: d.day.slice(5),
    segments: [
      ['sql', d.sql_leads],
      ['mql', d.mql_leads],
      ['unqualified', d.unqualified_leads],
    ] as [string, number][],
  }));
  const campaigns = a.by_campaign.map((c) => {
    const key = `${c.utm_source} / ${c.utm_medium} / ${c.utm_campaign}`;
    const mql = c.mql_leads ?? 0;
    return {
      key,
      label: key,
      segments: [
        ['sql', c.sql_leads],
        ['mql', mql],
        ['unqualified', c.leads - c.sql_leads - mql],
      ] as [string, number][],
      note: `${c.leads} leads, ${pct(c.conversion_rate)} SQL`,
      values: { leads: c.leads, sql: c.sql_leads, mql },
    };
  });
  const variants = a.by_variant.map((v) => {
    const { low, high } = wilson(v.sql_leads, v.leads);
    return {
      key: `${v.test_name}:${v.variant}`,
      label: `${v.test_name}: ${v.variant}`,
      rate: v.conversion_rate,
      low,
      high,
      note: `${pct(v.conversion_rate)} of ${v.leads}, ${pct(low)}–${pct(high)}`,
      values: { leads: v.leads, sql: v.sql_leads, rate: v.conversion_rate, low, high },
    };
  });
  const parts = a.by_classification
    .filter((c) => c.leads > 0)
    .map((c) => ({
      key: c.classification,
      label: c.classification,
      // Drawn from zero: a negative average (answers worth less than nothing) shows as no bar.
      segments: [
        ['fit', Math.max(0, c.average_fit_score)],
        ['engagement', Math.max(0, c.average_engagement_score)],
      ] as [string, number][],
      note: `fit ${c.average_fit_score.toFixed(1)} · engagement ${c.average_engagement_score.toFixed(1)}`,
      values: { fit: c.average_fit_score, engagement: c.average_engagement_score, leads: c.leads },
    }));
  const said = (rows: { label: string; note?: string }[]) =>
    rows.map((r) => `${r.label} ${r.note ?? ''}`).join('; ');
  box.replaceChildren(
    total,
    mix,
    figure(
      'Funnel (answered / reached)',
      [
        ['answered', 'answered'],
        ['reached', 'reached, not answered'],
      ],
      funnel.length ? barChart(funnel, `Funnel: ${said(funnel)}`) : null,
    ),
    figure(
      'Classification mix per day (UTC)',
      CLASSES,
      perDay.length
        ? columnChart(
            perDay,
            `Leads per day: ${perDay.map((d) => `${d.key} ${d.segments.map(([s, v]) => `${s} ${v}`).join(' ')}`).join('; ')}`,
          )
        : null,
    ),
    figure(
      'Sources and campaigns (source / medium / campaign, first touch)',
      CLASSES,
      campaigns.length ? barChart(campaigns, `Sources: ${said(campaigns)}`) : null,
    ),
    figure(
      'Average fit + engagement per classification',
      [
        ['fit', 'fit (answer values)'],
        ['engagement', 'engagement (behaviour)'],
      ],
      parts.length ? barChart(parts, `Score parts: ${said(parts)}`) : null,
    ),
    figure(
      'A/B variants: SQL rate with its 95 % interval',
      [],
      variants.length ? intervalChart(variants, `Variants: ${said(variants)}`) : null,
    ),
  );
}

/** The tab's report, reading the API with the agent's token. */
export class AnalyticsPanel {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every load, so an answer that arrives after a newer one is dropped. */
  private generation = 0;
  private choice: RangeChoice = { preset: '30' };
  private shown = false;

  constructor(
    private readonly box: HTMLElement,
    private readonly form: HTMLFormElement,
    private readonly token: () => string | null,
    /** Told every report too (the speed-to-lead table is drawn apart). */
    private readonly onReport: (a: AnalyticsData) => void = () => {},
  ) {
    for (const button of form.querySelectorAll<HTMLButtonElement>('button[data-preset]')) {
      button.addEventListener('click', () => this.pick({ preset: button.dataset.preset as '7' }));
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const from = this.field('from').value;
      const to = this.field('to').value;
      if (from && to && from <= to) this.pick({ from, to });
    });
    this.showChoice();
  }

  private field(name: 'from' | 'to'): HTMLInputElement {
    return this.form.elements.namedItem(name) as HTMLInputElement;
  }

  private pick(choice: RangeChoice): void {
    this.choice = choice;
    this.showChoice();
    void this.load();
  }

  /** The pressed preset, and the dates the range covers in the date fields. */
  private showChoice(): void {
    const preset = 'preset' in this.choice ? this.choice.preset : null;
    for (const button of this.form.querySelectorAll<HTMLButtonElement>('button[data-preset]')) {
      button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
    }
    if (preset) {
      const { from, to } = resolveRange(this.choice);
      this.field('from').value = dateValue(from);
      this.field('to').value = dateValue(to);
    }
  }

  /** The tab is shown or hidden: shown, it loads now and follows the board. */
  setShown(shown: boolean): void {
    this.shown = shown;
    if (shown) void this.load();
  }

  /** Fetches the report for the range as it stands now. */
  async load(): Promise<void> {
    const token = this.token();
    if (!token) return;
    const mine = ++this.generation;
    const { from, to } = resolveRange(this.choice);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    const res = await fetch(`/api/analytics/leads?${q}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok || mine !== this.generation) return;
    const a = (await res.json()) as AnalyticsData;
    if (mine !== this.generation) return;
    render(this.box, a);
    this.onReport(a);
  }

  /** The board changed: while shown, load again soon, once for every change until then. */
  refreshSoon(): void {
    if (this.timer || !this.shown) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, REFRESH_AFTER_MS);
  }
}
