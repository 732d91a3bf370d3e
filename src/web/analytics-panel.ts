import type { SpeedToLead } from '../routing/speed.js';

/**
 * The console's analytics panel: the analytics API's lead report for the last 30 days, fetched when the
 * console connects and again shortly after the board changes, so its counts follow the leads on the board.
 */

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = '') => {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
};

/** How long after a board change the panel asks again (changes in between share one request). */
const REFRESH_AFTER_MS = 1_000;

interface AnalyticsData {
  from: string;
  to: string;
  total_leads: number;
  conversion_rate: number;
  by_day: { day: string; sql_leads: number; mql_leads: number; unqualified_leads: number }[];
  funnel: { step: string; reached: number; answered: number }[];
  by_variant: { test_name: string; variant: string; leads: number; conversion_rate: number }[];
  by_classification: {
    classification: string;
    leads: number;
    average_fit_score: number;
    average_engagement_score: number;
  }[];
  speed_to_lead?: SpeedToLead;
}

/** One labelled bar made of coloured segments, each a share of `max`. */
function barRow(
  label: string,
  segments: [cls: string, value: number][],
  max: number,
  note = '',
): HTMLElement {
  const row = el('div', '', 'bar-row');
  const track = el('div', '', 'bar-track');
  for (const [cls, value] of segments) {
    const bar = el('div', '', `bar ${cls}`);
    bar.style.width = `${max === 0 ? 0 : (100 * value) / max}%`;
    bar.title = `${cls}: ${value}`;
    track.append(bar);
  }
  row.append(el('span', label, 'label'), track, el('span', note));
  return row;
}

function chart(title: string, rows: HTMLElement[]): HTMLElement {
  const box = el('div', '', 'chart');
  box.append(el('h3', title), ...(rows.length > 0 ? rows : [el('p', 'No data yet.')]));
  return box;
}

/** Funnel, classification mix over time and variant comparison, from one answer of the analytics API. */
function render(box: HTMLElement, a: AnalyticsData): void {
  const dayMax = Math.max(0, ...a.by_day.map((d) => d.sql_leads + d.mql_leads + d.unqualified_leads));
  const reachMax = Math.max(0, ...a.funnel.map((f) => f.reached));
  const classes = a.by_classification.filter((c) => c.leads > 0);
  const partMax = Math.max(
    0,
    ...classes.map((c) => Math.max(0, c.average_fit_score) + Math.max(0, c.average_engagement_score)),
  );
  const total = el('p', `${a.total_leads} leads, ${(100 * a.conversion_rate).toFixed(1)} % SQL`, 'total');
  total.dataset.total = String(a.total_leads);
  box.dataset.from = a.from;
  box.dataset.to = a.to;
  box.replaceChildren(
    total,
    chart(
      'Funnel (reached / answered)',
      a.funnel.map((f) =>
        barRow(
          f.step,
          [
            ['answered', f.answered],
            ['reached', f.reached - f.answered],
          ],
          reachMax,
          `${f.answered}/${f.reached}`,
        ),
      ),
    ),
    chart(
      'Classification by day',
      a.by_day.map((d) =>
        barRow(
          d.day.slice(5),
          [
            ['sql', d.sql_leads],
            ['mql', d.mql_leads],
            ['unqualified', d.unqualified_leads],
          ],
          dayMax,
        ),
      ),
    ),
    chart(
      'Average fit + engagement by class',
      classes.map((c) =>
        barRow(
          c.classification,
          [
            ['fit', Math.max(0, c.average_fit_score)],
            ['engagement', Math.max(0, c.average_engagement_score)],
          ],
          partMax,
          `fit ${c.average_fit_score.toFixed(1)} · engagement ${c.average_engagement_score.toFixed(1)}`,
        ),
      ),
    ),
    chart(
      'Variants (SQL rate)',
      a.by_variant.map((v) =>
        barRow(
          `${v.test_name}: ${v.variant}`,
          [['rate', v.conversion_rate]],
          1,
          `${(100 * v.conversion_rate).toFixed(1)} % of ${v.leads}`,
        ),
      ),
    ),
  );
}

/** The panel in `box`, reading the API with the agent's token. */
export class AnalyticsPanel {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every load, so an answer that arrives after a newer one is dropped. */
  private generation = 0;

  constructor(
    private readonly box: HTMLElement,
    private readonly token: () => string | null,
    /** Told every report too (the speed-to-lead table is drawn apart). */
    private readonly onReport: (a: AnalyticsData) => void = () => {},
  ) {}

  /** Fetches the report now (the range ends now, so today's leads are in it, whatever the time zone). */
  async load(): Promise<void> {
    const token = this.token();
    if (!token) return;
    const mine = ++this.generation;
    const res = await fetch('/api/analytics/leads?days=30', {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok || mine !== this.generation) return;
    const a = (await res.json()) as AnalyticsData;
    if (mine !== this.generation) return;
    render(this.box, a);
    this.onReport(a);
  }

  /** The board changed: load again soon, once for every change until then. */
  refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, REFRESH_AFTER_MS);
  }
}
