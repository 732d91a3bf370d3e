import { expect } from 'vitest';
import type { SessionHello, VisitorAck } from '../../src/protocol/index.js';
import type { TestDatabase } from './database.js';
import type { StepPayload, VisitorEvent } from './journey.js';
import { openVisitor, type Transport, type VisitorClient } from './sockets.js';
import { sleep } from './time.js';

/**
 * Visitors for fault tests: one person over as many connections as it takes (each a VisitorClient),
 * keeping a log of what it sent and what came back; it can lose its node and carry on elsewhere with
 * the same session, resending what was not acknowledged with the same clientMessageId. And the checks
 * every fault test runs on the database afterwards.
 */

export { JOURNEY, JOURNEY_SCORE } from './journey.js';

/** One emit and what became of it. */
export interface Sent {
  sessionId: string;
  event: VisitorEvent;
  payload: StepPayload;
  clientMessageId: string;
  /** ms since the epoch, when it was emitted. */
  at: number;
  /** The node's URL it went to. */
  url: string;
  /** The acknowledgement, or why there was none. */
  ack?: VisitorAck;
  lost?: string;
  /** ms since the epoch, when the ack came back or the emit was given up. */
  doneAt?: number;
}

/** An emit that was acknowledged ok. */
export type Acked = Sent & { ack: Extract<VisitorAck, { ok: true }> };

export class Visitor {
  sessionId: string | undefined;
  /** The connection it has now, if any. */
  client: VisitorClient | undefined;
  url = '';
  readonly sent: Sent[] = [];
  /** Why each connection ended, in order. */
  readonly disconnects: string[] = [];
  private next = 0;

  constructor(
    readonly name: string,
    private readonly transport: Transport = 'websocket',
  ) {}

  get connected(): boolean {
    return this.client?.socket.connected === true;
  }

  /** Connects to `url`, resuming the session if it has one. Rejects on connect_error or a timeout. */
  async connect(url: string): Promise<SessionHello> {
    this.client?.close();
    const auth = this.sessionId ? { sessionId: this.sessionId } : {};
    const client = openVisitor(url, { auth, transports: [this.transport], waitMs: 20_000 });
    this.client = client;
    this.url = url;
    client.socket.on('disconnect', (reason) => this.disconnects.push(reason));
    const hello = await client.hello(15_000).catch((err: Error) => {
      throw new Error(`${this.name} on ${url}: ${err.message}`);
    });
    this.sessionId = hello.sessionId;
    return hello;
  }

  /** A clientMessageId of its own, never used before by this visitor. */
  newId(): string {
    this.next += 1;
    return `${this.name}-${this.next}`;
  }

  /** Emits once and waits for the ack; a disconnect or timeout is recorded as `lost` and rethrown. */
  async emit(event: VisitorEvent, payload: StepPayload, clientMessageId: string): Promise<VisitorAck> {
    const client = this.client;
    if (!client?.socket.connected) throw new Error(`${this.name}: not connected`);
    const record: Sent = {
      sessionId: this.sessionId!,
      event,
      payload,
      clientMessageId,
      at: Date.now(),
      url: this.url,
    };
    this.sent.push(record);
    try {
      // Any step with any payload, as the journeys give them: the server is what judges them.
      const ack: VisitorAck = await client.ack(event, { clientMessageId, ...payload });
      record.ack = ack;
      record.doneAt = Date.now();
      return ack;
    } catch (err) {
      record.lost = (err as Error).message;
      record.doneAt = Date.now();
      throw err;
    }
  }

  /**
   * Sends one step until it is acknowledged, surviving the loss of its node: on a lost ack or an
   * `unavailable` refusal it reconnects (to whatever `target()` names then) and sends the same
   * clientMessageId again. Gives up after `deadlineMs`.
   */
  async deliver(
    event: VisitorEvent,
    payload: StepPayload,
    target: () => string,
    deadlineMs = 45_000,
    retryMs = 100,
  ): Promise<VisitorAck> {
    const id = this.newId();
    const end = Date.now() + deadlineMs;
    for (;;) {
      if (Date.now() > end) throw new Error(`${this.name}: ${id} never acknowledged`);
      try {
        if (!this.connected) await this.connect(target());
        const ack = await this.emit(event, payload, id);
        if (ack.ok || ack.error?.code !== 'unavailable') return ack;
      } catch {
        // lost with its node: reconnect and resend below
      }
      await sleep(retryMs);
    }
  }

  close(): void {
    this.client?.close();
  }

  /** Every acknowledgement that said ok, with its clientMessageId. */
  acked(): Acked[] {
    return this.sent.filter((s): s is Acked => s.ack?.ok === true);
  }
}

interface LeadCheck {
  id: string;
  score: number;
  last_seq: number;
  events: number;
  max_seq: number;
  ledger: number;
  entries: number;
  once_keys: number;
  late_entries: number;
}

/**
 * The database is sound, for every lead in it: seqs run 1..last_seq without gaps or duplicates, no
 * event lies beyond last_seq, the score is the sum of the ledger, no once-rule fired twice, no ledger
 * row points past the last event, and no clientMessageId is stored twice for one lead.
 */
export async function expectSoundDatabase(db: Pick<TestDatabase, 'query'>): Promise<LeadCheck[]> {
  const leads = await db.query<LeadCheck>(
    `select l.id, l.score, l.last_seq,
            (select count(*)::int from session_events e where e.lead_id = l.id) as events,
            (select coalesce(max(seq), 0)::int from session_events e where e.lead_id = l.id) as max_seq,
            (select coalesce(sum(points), 0)::int from score_entries s where s.lead_id = l.id) as ledger,
            (select count(*)::int from score_entries s where s.lead_id = l.id) as entries,
            (select count(distinct once_key)::int from score_entries s where s.lead_id = l.id) as once_keys,
            (select count(*)::int from score_entries s where s.lead_id = l.id and s.event_seq > l.last_seq)
              as late_entries
       from leads l`,
  );
  for (const l of leads) {
    expect(l, `lead ${l.id}`).toMatchObject({
      events: l.last_seq,
      max_seq: l.last_seq,
      ledger: l.score,
      once_keys: l.entries,
      late_entries: 0,
    });
  }
  const twice = await db.query(
    `select lead_id, client_message_id, count(*)::int as n from session_events
      where client_message_id is not null group by 1, 2 having count(*) > 1`,
  );
  expect(twice).toEqual([]);
  return leads;
}

/**
 * Every acknowledged event is stored exactly once, in its own session, with the result its sender
 * was told (a duplicate ack replays that same result).
 */
export async function expectAckedStored(
  db: Pick<TestDatabase, 'query'>,
  visitors: Visitor[],
): Promise<number> {
  const acked = visitors.flatMap((v) => v.acked());
  const rows = await db.query<{ lead_id: string; client_message_id: string; n: number; score: number }>(
    `select lead_id, client_message_id, count(*)::int as n, max((result->>'score')::int) as score
       from session_events where client_message_id is not null group by 1, 2`,
  );
  const stored = new Map(rows.map((r) => [`${r.lead_id} ${r.client_message_id}`, r]));
  for (const s of acked) {
    const row = stored.get(`${s.sessionId} ${s.clientMessageId}`);
    expect(row, `acknowledged ${s.clientMessageId} of ${s.sessionId} is stored`).toBeDefined();
    expect(row!.n).toBe(1);
    expect(row!.score, `stored result of ${s.clientMessageId}`).toBe(s.ack.score);
  }
  return acked.length;
}

/** Lines of a node's log that tell of an unhandled rejection, an uncaught exception or a fatal error. */
export function crashLines(logs: string[]): string[] {
  return logs.filter((l) => /unhandled rejection|uncaught|"level":60/i.test(l));
}
