import type { SessionEventMessage } from '../conversation/events.js';
import type { Logger } from '../logger.js';
import type { AgentsServerToClientEvents } from '../protocol/agents.js';

/** Where a watcher's events go (an agent socket). */
export interface WatcherSink {
  emit(event: 'session:event', ...args: Parameters<AgentsServerToClientEvents['session:event']>): void;
}

interface Watcher {
  sink: WatcherSink;
  sessionId: string;
  lastSeq: number;
  /** Deliveries run one after another, so a gap being filled from the log holds back what follows. */
  chain: Promise<void>;
}

/**
 * This node's watchers of sessions. Each gets every event of its session once, in `seq` order:
 * events come from the bus (any node); a gap is filled from the session event log.
 */
export class Watchers {
  private readonly bySession = new Map<string, Set<Watcher>>();

  constructor(
    private readonly eventLog: (sessionId: string, sinceSeq: number) => Promise<SessionEventMessage[]>,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts watching from `sinceSeq`. `initial` reads the log and sends the first answer; live events
   * wait behind it and skip what it returned. Returns the stop function.
   */
  watch(
    sink: WatcherSink,
    sessionId: string,
    sinceSeq: number,
    initial: () => Promise<SessionEventMessage[]>,
  ): { ready: Promise<void>; stop: () => void } {
    const w: Watcher = { sink, sessionId, lastSeq: sinceSeq, chain: Promise.resolve() };
    const set = this.bySession.get(sessionId) ?? new Set();
    set.add(w);
    this.bySession.set(sessionId, set);
    const stop = () => {
      set.delete(w);
      if (set.size === 0 && this.bySession.get(sessionId) === set) this.bySession.delete(sessionId);
    };
    const ready = initial().then((events) => {
      w.lastSeq = Math.max(sinceSeq, ...events.map((e) => e.seq));
    });
    w.chain = ready.catch(() => stop());
    return { ready, stop };
  }

  /** Events committed on some node, for whoever watches their session here. */
  deliver(sessionId: string, events: SessionEventMessage[]): void {
    for (const w of this.bySession.get(sessionId) ?? []) this.enqueue(w, () => this.emitInOrder(w, events));
  }

  /** After a bus outage: every watcher reads what it may have missed. */
  resync(): void {
    for (const set of this.bySession.values()) for (const w of set) this.enqueue(w, () => this.catchUp(w));
  }

  private enqueue(w: Watcher, work: () => Promise<void>): void {
    w.chain = w.chain
      .then(work)
      .catch((err: unknown) =>
        this.logger.warn({ err, sessionId: w.sessionId }, 'could not deliver to a watcher'),
      );
  }

  private async emitInOrder(w: Watcher, events: SessionEventMessage[]): Promise<void> {
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= w.lastSeq) continue;
      if (e.seq > w.lastSeq + 1) await this.catchUp(w, e.seq);
      if (e.seq > w.lastSeq) this.emit(w, e);
    }
  }

  private async catchUp(w: Watcher, before = Number.POSITIVE_INFINITY): Promise<void> {
    for (const m of await this.eventLog(w.sessionId, w.lastSeq)) {
      if (m.seq > w.lastSeq && m.seq < before) this.emit(w, m);
    }
  }

  private emit(w: Watcher, e: SessionEventMessage): void {
    w.lastSeq = e.seq;
    w.sink.emit('session:event', e);
  }
}
