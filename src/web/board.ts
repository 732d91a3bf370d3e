import type { BoardRow } from '../protocol/index.js';
import { el } from './dom.js';
import { isMineFor, ownerOf } from './ownership.js';
import { shortPage } from './trail.js';

/**
 * The console's lead board: the rows the server sends, narrowed by the search box and the filters
 * (classification, state, source, online), sorted as the agent chose, counted per classification. A row
 * that changes live is highlighted for a moment (a fade, or a still outline under reduced motion).
 */

/** How long a changed row stays highlighted. */
const HIGHLIGHT_MS = 2_500;
/** The conversation's steps, in order, as the state filter lists them (others the server sends follow). */
const STATES = ['greeting', 'about', 'questions', 'contact', 'cta', 'completed', 'declined', 'abandoned'];
/** What the source filter names a row without a source. */
const NO_SOURCE = '(none)';

/** The board's controls, each found by id in the page. */
export interface BoardControls {
  body: HTMLElement;
  counts: HTMLElement;
  search: HTMLInputElement;
  classification: HTMLSelectElement;
  state: HTMLSelectElement;
  source: HTMLSelectElement;
  online: HTMLSelectElement;
  /** `mine`: the signed-in agent's leads; `unassigned`: leads no agent or team holds. */
  owner: HTMLSelectElement;
  sort: HTMLSelectElement;
}

/** A locale as an agent reads it: `Hindi (hi)`; empty for none. */
export function languageName(locale: string | null | undefined): string {
  if (!locale) return '';
  try {
    return `${new Intl.DisplayNames(['en'], { type: 'language' }).of(locale) ?? locale} (${locale})`;
  } catch {
    return locale;
  }
}

/** Whether a row matches what the agent typed in the search box: its name, e-mail, business or city. */
function matches(query: string): (r: BoardRow) => boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return (r) => {
    const text = [r.name, r.email, r.businessType, r.location].filter(Boolean).join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  };
}

const byScore = (a: BoardRow, b: BoardRow) =>
  b.score - a.score || b.lastActivityAt.localeCompare(a.lastActivityAt);
/** The orders the sort control offers, newest or highest first. */
const ORDERS: Record<string, (a: BoardRow, b: BoardRow) => number> = {
  score: byScore,
  activity: (a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || byScore(a, b),
  created: (a, b) => b.startedAt.localeCompare(a.startedAt) || byScore(a, b),
};

export class Board {
  private readonly rows = new Map<string, BoardRow>();
  /** Sessions changed live, with when their highlight ends. */
  private readonly changed = new Map<string, number>();

  constructor(
    private readonly ui: BoardControls,
    private readonly open: (sessionId: string) => void,
    /** The signed-in agent's id: their own leads (routing made them the owner) come first. */
    private readonly me: () => string | null = () => null,
  ) {
    for (const control of [ui.classification, ui.state, ui.source, ui.online, ui.owner, ui.sort]) {
      control.addEventListener('change', () => this.render());
    }
    ui.search.addEventListener('input', () => this.render());
  }

  /** The whole board, as `sessions:list` answered. */
  load(rows: BoardRow[]): void {
    for (const r of rows) this.rows.set(r.sessionId, r);
    this.render();
  }

  /** A row changed live: shown as it is now, highlighted for a moment. */
  update(row: BoardRow): void {
    this.rows.set(row.sessionId, row);
    this.changed.set(row.sessionId, Date.now() + HIGHLIGHT_MS);
    this.render();
    setTimeout(() => this.unmark(row.sessionId), HIGHLIGHT_MS);
  }

  get(sessionId: string): BoardRow | undefined {
    return this.rows.get(sessionId);
  }

  private unmark(sessionId: string): void {
    if ((this.changed.get(sessionId) ?? 0) > Date.now()) return;
    this.changed.delete(sessionId);
    this.ui.body.querySelector(`tr[data-session="${CSS.escape(sessionId)}"]`)?.classList.remove('changed');
  }

  /** The rows the search and the filters let through. */
  private shown(mine: (r: BoardRow) => boolean): BoardRow[] {
    const { classification, state, source, online, owner } = this.ui;
    const found = matches(this.ui.search.value);
    const owned = (r: BoardRow) =>
      owner.value === 'mine' ? mine(r) : owner.value === 'unassigned' ? !r.assignedTo && !r.team : true;
    return [...this.rows.values()].filter(
      (r) =>
        found(r) &&
        (!classification.value || r.classification === classification.value) &&
        (!state.value || r.state === state.value) &&
        (!source.value || (r.utmSource ?? NO_SOURCE) === source.value) &&
        (!online.value || String(r.connected) === online.value) &&
        owned(r),
    );
  }

  /** The state and source filters list what the board holds (keeping what the agent picked). */
  private fillChoices(): void {
    const states = new Set([...STATES, ...[...this.rows.values()].map((r) => r.state)]);
    const sources = new Set([...this.rows.values()].map((r) => r.utmSource ?? NO_SOURCE));
    for (const [select, values] of [
      [this.ui.state, [...states]],
      [this.ui.source, [...sources].sort()],
    ] as const) {
      const picked = select.value;
      const all = select.options[0]!;
      select.replaceChildren(all, ...values.map((v) => new Option(v, v)));
      select.value = values.includes(picked) ? picked : '';
    }
  }

  render(): void {
    this.fillChoices();
    const mine = isMineFor(this.me());
    const shown = this.shown(mine);
    this.ui.counts.replaceChildren(
      ...['SQL', 'MQL', 'Unqualified'].map((c) => {
        const count = el('span', `${c} ${shown.filter((r) => r.classification === c).length}`, 'count');
        count.dataset.classification = c;
        return count;
      }),
    );
    const now = Date.now();
    const order = ORDERS[this.ui.sort.value] ?? byScore;
    // The default order puts the agent's own leads first; an order the agent picks is that order alone.
    shown.sort(order === byScore ? (a, b) => Number(mine(b)) - Number(mine(a)) || order(a, b) : order);
    this.ui.body.replaceChildren(
      ...shown.map((r) => this.rowOf(r, (this.changed.get(r.sessionId) ?? 0) - now, mine(r))),
    );
  }

  /**
   * A row of the board; `highlightLeft`: how long its highlight has to go (ms; none when ≤ 0); `mine`:
   * the signed-in agent owns it.
   */
  private rowOf(r: BoardRow, highlightLeft: number, mine: boolean): HTMLElement {
    const tr = el('tr', '', highlightLeft > 0 ? 'changed' : '');
    // A row drawn again mid-highlight carries on where its fade was instead of starting over.
    if (highlightLeft > 0) tr.style.animationDelay = `${highlightLeft - HIGHLIGHT_MS}ms`;
    tr.dataset.session = r.sessionId;
    tr.tabIndex = 0;
    if (mine) tr.classList.add('mine');
    const badge = el('span', r.classification, `badge ${r.classification.toLowerCase()}`);
    const cells = [
      el('td', r.name ?? '(anonymous)'),
      el('td', r.businessType ?? ''),
      el('td', String(r.score), 'score'),
      el('td', `${r.fit} / ${r.engagement}`, 'parts'),
      el('td'),
      el('td', r.state),
      el('td', r.currentPage ? `now on ${shortPage(r.currentPage)}` : '', 'page'),
      el('td', r.connected ? 'online' : 'offline', r.connected ? 'online' : 'offline'),
      el('td', r.takenOverBy ?? ''),
      el('td', ownerOf(r), 'owner'),
      el('td', r.utmSource ?? ''),
      el('td', languageName(r.locale), 'lang'),
    ];
    cells[4]!.append(badge);
    // The door the visitor came in by, where it is not the widget.
    if (r.channel === 'whatsapp') cells[0]!.append(' ', el('span', 'WhatsApp', 'channel whatsapp'));
    tr.append(...cells);
    tr.addEventListener('click', () => this.open(r.sessionId));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.open(r.sessionId);
    });
    return tr;
  }
}
