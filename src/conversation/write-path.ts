import type { ConversationEvent } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DuplicateMessage, type LeadRow, VersionConflict } from '../persistence/rows.js';
import type { RoutingFields } from '../routing/fields.js';
import type { PageFact } from '../scoring/ledger.js';
import type { BotPrompt } from '../workflow/prompts.js';
import type { ProfilePatch } from './commands.js';
import type { CommitQueue } from './commit-queue.js';
import { queueEffects } from './effects.js';
import type { LiveSession, LiveSessions } from './live-sessions.js';
import { repeatedPrompt } from './prompting.js';
import { buildTransition, type Transition, type Trigger } from './transition.js';
import type { Committed } from './types.js';

/** What a server-made change logs, sets and announces; null: nothing to do. */
export type AmendPlan = (
  lead: LeadRow,
) => Promise<Pick<Change, 'input' | 'patch' | 'notify' | 'said' | 'origin'> | null>;

/** One change to a session: what the machine is sent, what the log records, what else changes. */
export interface Change {
  events: ConversationEvent[];
  input: { type: string; data: Record<string, unknown>; clientMessageId?: string };
  patch?: ProfilePatch & { takenOverBy?: string | null } & Partial<RoutingFields>;
  /** Outbox rows of the change itself, beside those its triggers call for (routing's announcements). */
  notify?: { trigger: string; channel: string }[];
  at: number;
  /** Whether it counts as the visitor's activity (not an agent's or the clock's). */
  visitorActivity: boolean;
  clientTimeTaken?: number | null;
  /** Scored facts the machine does not emit (a page view that meets a page rule). */
  facts?: PageFact[];
  /** Bot messages of the change itself, after the machine's (rendered by the caller, in the visitor's language). */
  said?: BotPrompt[];
  /** Put the prompt the bot waits on again, as if just asked (a switch of language). */
  repeatPrompt?: boolean;
  /** The connection the event came from, told with the commit (see Committed.origin). */
  origin?: string;
}

export interface WritePathOptions {
  sessions: LiveSessions;
  commits: CommitQueue;
  logger: Logger;
  /** Attempts when the lead changed underneath (another node wrote it). */
  maxRetries: number;
  /** Told how long each commit took, in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /** The channels a trigger is announced on; their outbox rows commit with the event. */
  routeNotifications?: (trigger: Trigger) => readonly string[];
  /** Outbox rows that carry what a commit says to the visitor, for a door without a live connection. */
  deliveries?: (unit: Transition['unit']) => { trigger: string; channel: string }[];
}

/**
 * The one write path: a change is sent to the session's actor, everything it caused is committed in one
 * transaction (guarded by the lead's version), and only then is memory updated and are listeners told.
 * The caller runs one change of a session at a time.
 */
export class WritePath {
  private readonly listeners = new Set<(committed: Committed) => void>();

  constructor(private readonly options: WritePathOptions) {}

  /** Calls `listener` after every commit, in commit order per session. Returns the unsubscribe. */
  onCommitted(listener: (committed: Committed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener of a commit (or of an erase, which commits outside this path). */
  tell(committed: Committed): void {
    for (const listener of this.listeners) {
      try {
        listener(committed);
      } catch (err) {
        this.options.logger.error({ err, sessionId: committed.sessionId }, 'commit listener failed');
      }
    }
  }

  /** Sends the change's events to the actor, commits their effect, and only then updates memory. */
  async run(session: LiveSession, change: Change, isNew = false): Promise<Transition> {
    const id = session.lead.id;
    try {
      for (const event of change.events) session.live.actor.send(event);
      const transition = buildTransition({
        workflow: session.flow.workflow,
        lead: session.lead,
        actor: session.live.actor,
        awarded: session.awarded,
        emitted: [
          ...session.live.drain(),
          ...(change.repeatPrompt
            ? repeatedPrompt(session.flow.workflow, session.lead, session.live, change.at)
            : []),
        ],
        input: change.input,
        machineEvents: change.events,
        ...(change.said ? { said: change.said } : {}),
        pageFacts: (change.facts ?? []).map((f) => ({ ...f, at: change.at })),
        patch: change.patch ?? {},
        clientTimeTaken: change.clientTimeTaken ?? null,
        at: change.at,
        visitorActivity: change.visitorActivity,
        isNew,
      });
      await this.commit(transition, change.notify, change.origin);
      for (const entry of transition.ledger) session.awarded.add(entry.onceKey);
      if (change.input.clientMessageId !== undefined) session.messageIds.add(change.input.clientMessageId);
      session.lead = { ...transition.unit.lead, snapshot: null };
      this.options.sessions.remember(id, session);
      return transition;
    } catch (err) {
      // The actor has moved ahead of what is stored: never let it act again.
      this.options.sessions.evict(id);
      throw err;
    }
  }

  /**
   * A change the server makes to a session (routing): `plan` reads the stored lead and says what to log,
   * set and announce; it commits like any event, version-checked, so it happens once whichever node
   * tries. The caller runs it in the session's queue. Returns the lead as committed, or null.
   */
  async amend(sessionId: string, plan: AmendPlan, at: number): Promise<LeadRow | null> {
    return (await this.amendSaying(sessionId, plan, at))?.lead ?? null;
  }

  /** As `amend`, with the bot messages the change put (for an acknowledgement that carries them). */
  amendSaying(
    sessionId: string,
    plan: AmendPlan,
    at: number,
  ): Promise<{ lead: LeadRow; prompts: Transition['prompts'] } | null> {
    return this.withRetries(sessionId, async () => {
      const session = await this.options.sessions.load(sessionId);
      const change = await plan(session.lead);
      if (!change) return null;
      const { prompts } = await this.run(session, { events: [], at, visitorActivity: false, ...change });
      return { lead: session.lead, prompts };
    });
  }

  /** Runs `attempt`, reloading and retrying when another writer got there first. */
  async withRetries<T>(sessionId: string, attempt: () => Promise<T>, onConflict?: () => void): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        // Another node wrote first (or stored this very message): reload, then the retry sees it.
        if (!(err instanceof VersionConflict || err instanceof DuplicateMessage)) throw err;
        onConflict?.();
        this.options.sessions.evict(sessionId);
        if (i + 1 >= this.options.maxRetries)
          throw new AppError('conflict', undefined, undefined, { cause: err });
        this.options.logger.debug({ sessionId, attempt: i + 1 }, 'version conflict; reloading');
      }
    }
  }

  private async commit(
    transition: Transition,
    notify: Change['notify'] = [],
    origin?: string,
  ): Promise<void> {
    queueEffects(transition.unit, transition.triggers, this.options.routeNotifications);
    const outgoing = [...notify, ...(this.options.deliveries?.(transition.unit) ?? [])];
    if (outgoing.length > 0)
      transition.unit.notifications = [...(transition.unit.notifications ?? []), ...outgoing];
    const started = performance.now();
    try {
      await this.options.commits.commit(transition.unit);
      this.options.onCommit?.((performance.now() - started) / 1000);
      this.tell({
        sessionId: transition.unit.lead.id,
        events: transition.unit.events,
        prompts: transition.prompts,
        triggers: transition.triggers,
        notifications: transition.unit.notifications?.length ?? 0,
        lead: transition.unit.lead,
        ...(origin === undefined ? {} : { origin }),
      });
    } catch (err) {
      if (err instanceof VersionConflict || err instanceof DuplicateMessage || err instanceof AppError)
        throw err;
      this.options.logger.error({ err, sessionId: transition.unit.lead.id }, 'commit failed');
      throw new AppError('unavailable', undefined, undefined, { cause: err });
    }
  }
}
