import type { ConversationEngine } from '../conversation/engine.js';
import { AGENT_TYPING, SESSION_EVENTS, VISITOR_PRESENCE, VISITOR_TYPING } from '../conversation/events.js';
import { commandOf } from '../conversation/page-trail.js';
import { attributionView } from '../leads/attribution.js';
import { earlierLeadViews } from '../leads/earlier.js';
import { type BoardRow, leadData, scoreBreakdown } from '../leads/views.js';
import type { Logger } from '../logger.js';
import type { LeadRow } from '../persistence/rows.js';
import type { LeadAlert, WatchOpened } from '../protocol/agents.js';
import type { EventBus } from '../scaling/bus.js';
import type { LeadBoard } from './board.js';
import { type WatcherSink, Watchers } from './watchers.js';

/** Where the feed sends what the agents connected to this node should see (the `/agents` namespace). */
export interface AgentsOutlet {
  /** Whether any agent is connected to this node: board and alert work is only worth doing then. */
  hasAgents(): boolean;
  /** To every agent here: a session's board row changed. */
  boardUpdate(row: BoardRow): void;
  /** To every agent here. */
  alert(alert: LeadAlert): void;
  /** To the agents here watching the session: its visitor started (or stopped) typing. */
  typing(sessionId: string, typing: boolean): void;
}

export interface AgentFeedOptions {
  engine: ConversationEngine;
  board: LeadBoard;
  bus: EventBus;
  logger: Logger;
  /** The visitor's other leads (src/persistence/lead-queries.ts); none when not given. */
  earlierLeads?: (lead: LeadRow) => Promise<LeadRow[]>;
  /** Board updates of one session are sent at most once per this many ms. */
  boardIntervalMs?: number;
}

/**
 * What agents see live, whichever node the visitor is on: board updates, alerts and typing from the
 * bus, and each watched session's events in `seq` order (gaps filled from the event log).
 */
export class AgentFeed {
  private readonly watchers: Watchers;

  constructor(private readonly options: AgentFeedOptions) {
    this.watchers = new Watchers((id, since) => options.engine.eventLog(id, since), options.logger);
  }

  /** Feeds `outlet` from the bus from now on; returns the stop. */
  serve(outlet: AgentsOutlet): () => void {
    const { bus, board } = this.options;
    const coalesce = boardCoalescer(outlet, this.options.boardIntervalMs ?? 250);
    const stops = [
      bus.subscribe(SESSION_EVENTS, (m) => {
        this.watchers.deliver(m.sessionId, m.events);
        if (!outlet.hasAgents()) return;
        if (
          m.events.some(
            (e) =>
              e.type === 'score.changed' ||
              e.type === 'state.changed' ||
              e.type.startsWith('agent.') ||
              commandOf(e)?.kind === 'page',
          )
        ) {
          coalesce(m.sessionId, async () => ({ ...m.lead, connected: await board.connected(m.sessionId) }));
        }
        if (m.triggers.length > 0) {
          void board
            .connected(m.sessionId)
            .catch(() => false)
            .then((connected) => {
              for (const trigger of m.triggers) {
                outlet.alert({ sessionId: m.sessionId, trigger, lead: { ...m.lead, connected } });
              }
            });
        }
      }),
      bus.subscribe(VISITOR_PRESENCE, ({ sessionId }) => {
        if (!outlet.hasAgents()) return;
        coalesce(sessionId, () => board.row(sessionId));
      }),
      bus.subscribe(VISITOR_TYPING, ({ sessionId, typing }) => outlet.typing(sessionId, typing ?? true)),
      bus.onResync(() => this.watchers.resync()),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** An agent started or stopped typing to the session's visitor: told on the bus, never stored. */
  agentTyping(sessionId: string, name: string, typing: boolean): void {
    void this.options.bus.publish(AGENT_TYPING, { sessionId, name, typing }).catch(() => {});
  }

  /**
   * Starts watching a session for `sink` from `sinceSeq`. `opened` gets what the agent sees first (the
   * lead, its ledger and the log after `sinceSeq`) before any live event reaches the sink.
   */
  watch(
    sink: WatcherSink,
    sessionId: string,
    sinceSeq: number,
    opened: (view: WatchOpened) => void,
  ): { ready: Promise<void>; stop: () => void } {
    // Registered before the log is read: nothing committed meanwhile is missed.
    return this.watchers.watch(sink, sessionId, sinceSeq, async () => {
      const view = await this.opening(sessionId, sinceSeq);
      opened(view);
      return view.events;
    });
  }

  private async opening(sessionId: string, sinceSeq: number): Promise<WatchOpened> {
    const { engine, board } = this.options;
    const [{ lead, ledger }, events] = await Promise.all([
      engine.record(sessionId),
      engine.eventLog(sessionId, sinceSeq),
    ]);
    const [connected, earlier] = await Promise.all([
      board.connected(sessionId).catch(() => false),
      this.options.earlierLeads ? this.options.earlierLeads(lead) : Promise.resolve([]),
    ]);
    return {
      earlier: earlierLeadViews(lead, earlier),
      lead: {
        sessionId,
        state: lead.state,
        utmSource: lead.utmSource ?? null,
        startedAt: lead.createdAt.toISOString(),
        lastActivityAt: lead.lastActivityAt.toISOString(),
        takenOverBy: lead.takenOverBy ?? null,
        ...(lead.currentPage ? { currentPage: lead.currentPage } : {}),
        connected,
        locale: lead.locale ?? null,
        ...leadData(lead),
        attribution: attributionView(lead),
      },
      breakdown: ledger.map((e) => ({ ...e, at: e.at.toISOString() })),
      summary: scoreBreakdown(ledger),
      events,
    };
  }
}

/** At most one board update per session per interval, carrying the latest row. */
function boardCoalescer(outlet: AgentsOutlet, intervalMs: number) {
  const pending = new Map<string, () => Promise<BoardRow | null>>();
  const timers = new Map<string, NodeJS.Timeout>();
  return (sessionId: string, row: () => Promise<BoardRow | null>) => {
    pending.set(sessionId, row);
    if (timers.has(sessionId)) return;
    const flush = () => {
      const next = pending.get(sessionId);
      pending.delete(sessionId);
      if (!next) {
        timers.delete(sessionId);
        return;
      }
      void next()
        .then((r) => r && outlet.boardUpdate(r))
        .catch(() => {});
      timers.set(sessionId, setTimeout(flush, intervalMs).unref());
    };
    flush();
  };
}
