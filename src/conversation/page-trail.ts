/**
 * The page trail of a session, read from its event log: the visitor's page views (`visitor.input`
 * with a `page` command) in `seq` order, each with the time the server measured on it, from its
 * entry to the first of: the next page view, a page exit naming it, or the visitor's exit. Pure and
 * free of imports, so the agents' console computes the same trail from the events it receives.
 */

/** One page of the trail; `seq` is the page view's place in the event log (its tracking id). */
export interface PageVisit {
  seq: number;
  url: string;
  title: string | null;
  pageType: string | null;
  enteredAt: string;
  /** When the visitor left the page, as the server saw it; null while still on it (or not known). */
  leftAt: string | null;
  seconds: number | null;
}

/** The fields of a session event the trail reads (a SessionEventMessage has them). */
export interface TrailEvent {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

type Command = { kind?: unknown; url?: unknown; title?: unknown; pageType?: unknown; entrySeq?: unknown };

/** The visitor command a log entry records, if it is one. */
export function commandOf(event: TrailEvent): Command | null {
  if (event.type !== 'visitor.input') return null;
  const command = event.data.command;
  return command !== null && typeof command === 'object' ? (command as Command) : null;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** The trail from a session's events (any order; those before the first page view may be left out). */
export function pageTrail(events: readonly TrailEvent[]): PageVisit[] {
  const trail: PageVisit[] = [];
  const leave = (visit: PageVisit | undefined, at: string) => {
    if (!visit || visit.leftAt !== null) return;
    visit.leftAt = at;
    visit.seconds = Math.max(0, (Date.parse(at) - Date.parse(visit.enteredAt)) / 1000);
  };
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    const command = commandOf(event);
    if (!command) continue;
    if (command.kind === 'page' && typeof command.url === 'string') {
      leave(trail.at(-1), event.at);
      trail.push({
        seq: event.seq,
        url: command.url,
        title: str(command.title),
        pageType: str(command.pageType),
        enteredAt: event.at,
        leftAt: null,
        seconds: null,
      });
    } else if (command.kind === 'page_exit') {
      leave(
        trail.find((v) => v.seq === command.entrySeq),
        event.at,
      );
    } else if (command.kind === 'exit') {
      leave(trail.at(-1), event.at);
    }
  }
  return trail;
}
