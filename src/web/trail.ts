import { commandOf, type PageVisit, pageTrail, type TrailEvent } from '../conversation/page-trail.js';

/**
 * The page trail of the session open in the console, from the events the agent already receives
 * (the log `session:watch` answers with, then each live `session:event`): the same reading of the log
 * as the server's journey call (src/conversation/page-trail.ts).
 */

/** A page as the console shows it: its path, query and hash (the site is the visitor's own). */
export function shortPage(url: string): string {
  try {
    const u = new URL(url, location.href);
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return url;
  }
}

const seconds = ({ seconds: s }: PageVisit) =>
  s === null ? '' : ` · ${s < 10 ? s.toFixed(1) : Math.round(s)} s`;

export class SessionTrail {
  private events: TrailEvent[] = [];

  constructor(
    private readonly now: HTMLElement,
    private readonly list: HTMLElement,
  ) {}

  /** A session was opened: its log so far. */
  reset(events: readonly TrailEvent[]): void {
    this.events = events.filter((e) => commandOf(e) !== null);
    this.render();
  }

  /** A live event of the open session; only page views and exits change the trail. */
  add(event: TrailEvent): void {
    if (commandOf(event) === null) return;
    this.events.push(event);
    this.render();
  }

  private render(): void {
    const trail = pageTrail(this.events);
    const last = trail.at(-1);
    this.now.textContent = last
      ? `now on ${shortPage(last.url)}${last.title ? ` (${last.title})` : ''}${last.leftAt ? ' — left' : ''}`
      : 'No page reported yet.';
    this.list.replaceChildren(
      ...trail.map((v) => {
        const item = document.createElement('li');
        item.textContent = `${shortPage(v.url)}${v.title ? ` — ${v.title}` : ''}${seconds(v)}`;
        item.dataset.seq = String(v.seq);
        return item;
      }),
    );
  }
}
