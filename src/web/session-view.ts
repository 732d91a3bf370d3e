import type { LedgerEntry, SessionEventMessage, WatchedLead } from '../protocol/index.js';
import { el } from './dom.js';
import { TranscriptReader, timeOf } from './transcript.js';

/**
 * The transcript of the session open in the console, with the score ledger beside it: each ledger row
 * sits next to the transcript line of the event that earned it (its `eventSeq`), with its evidence, and
 * an answer that earned `quick_reply` carries a "quick reply" badge. Awards not earned by a line (the
 * session's opening, idle abandonment) are listed under the score breakdown only, as all are. A live
 * score change names its awards without their evidence: they are shown at once, then placed again with
 * their evidence from the ledger the console reads after it (`placeLedger`).
 */

/** Event types the server writes after an input, never an input themselves. */
const AFTER_INPUT = new Set(['score.changed', 'state.changed', 'bot.prompt']);

/** What was awarded: a ledger row, or a live award (no evidence until the ledger is read again). */
type Award = Pick<LedgerEntry, 'behavior' | 'points'> & { evidence?: Record<string, unknown> };

const signed = (n: number) => `${n > 0 ? '+' : ''}${n}`;
const evidenceOf = (e: Record<string, unknown> = {}) =>
  Object.entries(e)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');

export class SessionView {
  private readonly reader = new TranscriptReader();
  /** The last event appended: a live score change belongs to the input just before it. */
  private last: { seq: number; type: string } | null = null;
  /** Whether events now arrive live (before: the log `session:watch` answered with). */
  private live = false;

  constructor(
    private readonly transcript: HTMLElement,
    private readonly ledger: HTMLElement,
    private readonly attribution: HTMLElement,
  ) {}

  /** A session was opened: its ledger, its log so far and where the visitor came from. */
  open(breakdown: LedgerEntry[], events: SessionEventMessage[], lead: WatchedLead): void {
    this.live = false;
    this.transcript.replaceChildren();
    this.reader.reset();
    this.last = null;
    for (const e of events) this.append(e);
    this.placeLedger(breakdown);
    this.showAttribution(lead.attribution);
    this.live = true;
  }

  /**
   * The whole ledger, with its evidence, placed again: the breakdown list and the awards beside the
   * lines (after live awards, whose events carry no evidence, the console asks for the ledger again).
   */
  placeLedger(breakdown: LedgerEntry[]): void {
    for (const aside of this.transcript.querySelectorAll('.earned, .badge.quick')) aside.remove();
    this.ledger.replaceChildren(
      ...breakdown.map((l) => {
        const item = el('li', `${signed(l.points)} ${l.behavior}`);
        const evidence = evidenceOf(l.evidence);
        if (evidence) item.append(el('span', ` (${evidence})`, 'evidence'));
        if (l.eventSeq > 0) item.dataset.seq = String(l.eventSeq);
        return item;
      }),
    );
    for (const l of breakdown) this.earned(l.eventSeq, l);
  }

  /** The `seq` of the last event shown (0 before any). */
  get lastSeq(): number {
    return this.last?.seq ?? 0;
  }

  /** Clears the view before a session is opened. */
  clear(): void {
    this.live = false;
    this.transcript.replaceChildren();
    this.ledger.replaceChildren();
    this.attribution.replaceChildren();
  }

  /**
   * One event of the log, in `seq` order: a transcript line and, for a score change, its awards. False
   * for an event already shown (asking for the ledger again may bring one that also arrived live).
   */
  append(e: SessionEventMessage): boolean {
    if (this.last && e.seq <= this.last.seq) return false;
    const previous = this.last;
    this.last = { seq: e.seq, type: e.type };
    if (e.type === 'score.changed') {
      const awarded = e.data.awarded as Award[];
      // Live (the log's rows were placed by `open`): beside the input that earned them.
      if (this.live && previous && previous.seq === e.seq - 1) {
        if (!AFTER_INPUT.has(previous.type)) for (const a of awarded) this.earned(previous.seq, a);
      }
      if (this.live) {
        for (const a of awarded) this.ledger.append(el('li', `${signed(a.points)} ${a.behavior}`));
      }
    }
    const line = this.reader.read(e);
    if (!line) return true;
    const item = el('li', '', line.who);
    const time = el('time', timeOf(e.at));
    time.dateTime = e.at;
    const said = el('span', '', 'said');
    said.append(time, document.createTextNode(line.text));
    const main = el('div', '', 'line');
    main.append(said);
    item.append(main);
    item.dataset.seq = String(e.seq);
    this.transcript.append(item);
    this.transcript.scrollTop = this.transcript.scrollHeight;
    return true;
  }

  /** Puts an award beside the transcript line of event `seq` (if that event shows as a line). */
  private earned(seq: number, a: Award): void {
    if (seq <= 0) return;
    const line = this.transcript.querySelector<HTMLElement>(`li[data-seq="${seq}"]`);
    if (!line) return;
    let list = line.querySelector('.earned');
    if (!list) {
      // Not a nested list: a transcript item is one line of the conversation, its awards an aside.
      list = el('div', '', 'earned');
      list.setAttribute('role', 'note');
      list.setAttribute('aria-label', 'Points earned');
      line.append(list);
    }
    const row = el('div', `${signed(a.points)} ${a.behavior}`, 'award');
    const evidence = evidenceOf(a.evidence);
    if (evidence) row.append(el('span', ` ${evidence}`, 'evidence'));
    list.append(row);
    if (a.behavior === 'quick_reply' && !line.querySelector('.quick')) {
      line.querySelector('.line')?.append(el('span', 'quick reply', 'badge quick'));
    }
  }

  private showAttribution(a: WatchedLead['attribution']): void {
    const touch = (title: string, t: Record<string, string | null>) => {
      const set = Object.entries(t).filter(([k, v]) => v !== null && k !== 'at');
      const box = el('div', '', 'touch');
      box.append(el('h3', title));
      if (set.length === 0) box.append(el('p', 'Nothing recorded.'));
      const list = el('dl');
      for (const [k, v] of set) list.append(el('dt', k), el('dd', String(v)));
      if (set.length > 0) box.append(list);
      return box;
    };
    const lastAt = a.last.at ? ` (${timeOf(a.last.at)})` : '';
    this.attribution.replaceChildren(touch('First touch', a.first), touch(`Last touch${lastAt}`, a.last));
  }
}
