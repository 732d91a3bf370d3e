import { randomBytes } from 'node:crypto';
import { pathIn } from '../../machines/path.js';
import type { Step } from '../../machines/types.js';
import { AppError } from '../errors.js';
import { planSession } from '../experiments/assignment.js';
import { type LeadRow, VersionConflict } from '../persistence/rows.js';
import type { Classification } from '../scoring/classification.js';
import type { WorkflowRegistry } from '../workflow/registry.js';
import type { Workflow } from '../workflow/schema.js';
import { isFinished, pendingStep, startConversation } from './actor.js';
import { planAgentAct } from './agent-acts.js';
import { takesClosed, type VisitorCommand } from './commands.js';
import { type SessionEventMessage, toEventMessage } from './events.js';
import { expireIdleSessions } from './idle-expiry.js';
import { type CacheCoherence, LiveSession, LiveSessions, read } from './live-sessions.js';
import { interpretIn } from './localized-input.js';
import { newLead, openingChange } from './new-lead.js';
import { isStateRefusal, resumePrompt, withPrompt } from './prompting.js';
import { refusal } from './refusal.js';
import { replayMessage } from './replay.js';
import { KeyedQueue } from './session-queue.js';
import type {
  AgentAct,
  AgentRef,
  Committed,
  EngineOptions,
  EventResult,
  LeadRecord,
  SessionView,
  StartOptions,
} from './types.js';
import { type AmendPlan, WritePath } from './write-path.js';

/**
 * The conversation engine: the one write path for every visitor event, whatever door it came in by.
 * A session's events run one at a time; each event's whole effect commits in one transaction before
 * the caller hears of it; a failed commit leaves nothing behind and drops the cached actor.
 */
export class ConversationEngine {
  /** Every workflow version this engine's sessions run on; new sessions start on the active one. */
  readonly workflows: WorkflowRegistry;
  private readonly queue = new KeyedQueue();
  private readonly sessions: LiveSessions;
  private readonly coherence: CacheCoherence;
  private readonly now: () => number;
  private readonly phoneRegion: string;
  private readonly writes: WritePath;
  private accepting = true;

  constructor(private readonly options: EngineOptions) {
    this.workflows = options.workflows;
    this.now = options.now ?? Date.now;
    this.phoneRegion = options.phoneRegion ?? 'IN';
    this.sessions = new LiveSessions(
      this.workflows,
      options.store,
      options.logger,
      options.cacheSize ?? 50_000,
      options.runningActors,
    );
    this.coherence = options.coherence ?? 'bus';
    this.writes = new WritePath({
      sessions: this.sessions,
      commits: options.commits,
      logger: options.logger,
      maxRetries: options.maxConflictRetries ?? 3,
      ...(options.onCommit ? { onCommit: options.onCommit } : {}),
      ...(options.routeNotifications ? { routeNotifications: options.routeNotifications } : {}),
      ...(options.channelPolicy ? { deliveries: (unit) => options.channelPolicy!.deliveries(unit) } : {}),
    });
  }

  /** The active workflow (what new sessions start on; a session's own is its `flow`). */
  get workflow(): Workflow {
    return this.workflows.active.workflow;
  }

  /**
   * Opens a new session on the active workflow: awards session_opened and puts the greeting. Also
   * returns the lead as committed (the handshake decides its after-hours greeting from it).
   */
  startSession(
    options: StartOptions = {},
  ): Promise<EventResult & { variants: Record<string, string>; lead: LeadRow }> {
    const id = `sess_${randomBytes(16).toString('hex')}`;
    // Queued like any event of the session, so that a graceful shutdown waits for it too.
    return this.admit(id, async () => {
      const at = this.now();
      const flow = this.workflows.active;
      const plan = planSession(flow.workflow, id, this.options.experimentsEnabled ?? true);
      const returning = await this.options.returningOf?.(options);
      const session = new LiveSession(
        newLead(id, { ...options, ...(returning ? { returning } : {}) }, plan, at, flow.version),
        flow,
        startConversation(flow.machine, { questionOrder: plan.questionOrder, startedAt: at }),
        new Set(),
        new Set(),
      );
      const transition = await this.writes.run(session, openingChange(session.lead, at), true);
      const { outcome, prompts } = transition;
      return { sessionId: id, ...outcome, prompts, variants: plan.variants, lead: session.lead };
    });
  }

  /**
   * Handles one visitor command, idempotent by `clientMessageId`; `origin`: the connection it came from
   * (Committed.origin); `sentAt`: when the visitor sent it, as a door that queues messages knows it.
   */
  handle(
    sessionId: string,
    command: VisitorCommand,
    clientMessageId?: string,
    origin?: string,
    sentAt?: number,
  ): Promise<EventResult> {
    return this.admit(sessionId, async () => {
      let raced = false;
      try {
        return await this.writes.withRetries(
          sessionId,
          () => this.process(sessionId, command, clientMessageId, origin, sentAt),
          () => {
            raced = true;
          },
        );
      } catch (err) {
        // Another writer moved the conversation on, and this event no longer fits it: the visitor is
        // told what it waits on now, so a client that showed the older prompt is not left without one.
        if (!raced || !isStateRefusal(err)) throw err;
        const session = await this.sessions.load(sessionId).catch(() => null);
        throw session
          ? await withPrompt(err, session.flow.workflow, this.options.store, session).catch(() => err)
          : err;
      }
    });
  }

  /** The session as it stands, with the prompt it waits on. */
  view(sessionId: string): Promise<SessionView> {
    return this.queue.run(sessionId, async () => {
      // A resume is answered from what is stored, never from a copy another node has overtaken.
      const { lead, live, flow } = await this.sessions.load(sessionId, this.coherence !== 'off');
      return {
        sessionId,
        state: lead.state as Step,
        score: lead.score,
        classification: lead.classification as Classification,
        variants: lead.variants,
        prompt: lead.takenOverBy ? null : await resumePrompt(flow.workflow, this.options.store, lead, live),
        lead,
        workflow: flow.workflow,
        path: pathIn(flow.workflow, live.actor.getSnapshot().context),
      };
    });
  }

  /**
   * The session's event log after `sinceSeq`, read after any queued event of the session, without
   * loading its actor (an agent may watch from another node than the visitor's); with `latest`, only
   * that many of its last events.
   */
  eventLog(sessionId: string, sinceSeq = 0, latest?: number): Promise<SessionEventMessage[]> {
    const { store } = this.options;
    return this.queue.run(sessionId, async () => {
      const [rows, version] = await Promise.all([
        read(() => (latest ? store.eventTail(sessionId, latest) : store.eventLog(sessionId, sinceSeq))),
        read(() => this.options.store.version(sessionId, { erased: false })),
      ]);
      if (version === null) throw new AppError('session_not_found');
      return rows.map((row) => toEventMessage(sessionId, row));
    });
  }

  /** The stored lead with its score ledger, read after any queued event of the session. */
  record(sessionId: string): Promise<LeadRecord> {
    return this.queue.run(sessionId, async () => {
      const stored = await read(() => this.options.store.leadRecord(sessionId));
      if (!stored || stored.lead.erasedAt) throw new AppError('session_not_found');
      return stored;
    });
  }

  /** Marks sessions idle past their workflow's deadline as abandoned (early_dropout). Returns how many. */
  expireIdle(limit = 500): Promise<number> {
    const { queue, writes, sessions, workflows, now } = this;
    const { store, logger } = this.options;
    return expireIdleSessions({ queue, writes, sessions, store, workflows, now, logger }, limit);
  }

  /**
   * An agent takes over, writes to the visitor, or releases the session (the rules: agent-acts.ts);
   * the release puts the bot's pending prompt again.
   */
  agentAct(
    sessionId: string,
    agent: AgentRef,
    act: AgentAct,
  ): Promise<EventResult & { takenOverBy: string | null }> {
    return this.admit(sessionId, () =>
      this.writes.withRetries(sessionId, async () => {
        const session = await this.sessions.load(sessionId);
        const at = this.now();
        await this.options.channelPolicy?.checkAgentAct(session.lead, act, at);
        const plan = planAgentAct(
          session.lead.takenOverBy ?? null,
          agent,
          act,
          isFinished(session.live.actor),
          at,
        );
        const transition = await this.writes.run(session, {
          events: plan.machineEvents,
          input: plan.input,
          patch: { takenOverBy: plan.takenOverBy },
          at,
          visitorActivity: false,
        });
        return {
          sessionId,
          ...transition.outcome,
          prompts: transition.prompts,
          takenOverBy: plan.takenOverBy,
        };
      }),
    );
  }

  /** A change the server makes to a session (routing), committed like any event: see WritePath.amend. */
  readonly amend = (sessionId: string, plan: AmendPlan): Promise<LeadRow | null> =>
    this.admit(sessionId, () => this.writes.amend(sessionId, plan, this.now()));

  /** As `amend`, with the bot messages the change put: a protocol-2 acknowledgement carries them. */
  readonly amendSaying = (sessionId: string, plan: AmendPlan) =>
    this.admit(sessionId, () => this.writes.amendSaying(sessionId, plan, this.now()));

  /**
   * Erases the lead's personal data and closes its session (SessionStore.erase): the version moves on, so
   * no copy anywhere can write again; told like a commit (`lead.erased`) to other nodes and watchers.
   */
  erase(sessionId: string, by: string): Promise<void> {
    return this.queue.run(sessionId, async () => {
      const erased = await read(() => this.options.store.erase(sessionId, by, new Date(this.now())));
      this.sessions.evict(sessionId);
      if (!erased) throw new AppError('session_not_found');
      this.writes.tell({
        sessionId,
        events: [erased.event],
        prompts: [],
        triggers: [],
        notifications: 0,
        lead: erased.lead,
      });
    });
  }

  /** Calls `listener` after every commit, in commit order per session. Returns the unsubscribe. */
  onCommitted(listener: (committed: Committed) => void): () => void {
    return this.writes.onCommitted(listener);
  }

  /** Whether this node holds the session in memory. */
  isCached(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Whether that session's actor is running here (not parked as a snapshot, nor out of memory). */
  isRunning(sessionId: string): boolean {
    return this.sessions.isRunning(sessionId);
  }

  /** Drops a session's actor from memory (the next event reloads it from the database). */
  evict(sessionId: string): void {
    this.sessions.evict(sessionId);
  }

  /**
   * Another node committed `version` of a session (or erased it): a copy here that is older is dropped,
   * after any event of the session under way here (whose commit then fails its version check and is
   * computed again from the store).
   */
  forgetOlder(sessionId: string, version: number): void {
    if (this.coherence === 'off' || !this.sessions.isOlderThan(sessionId, version)) return;
    void this.queue.run(sessionId, async () => {
      if (this.sessions.isOlderThan(sessionId, version)) this.sessions.evict(sessionId);
    });
  }

  /** Messages from other nodes may have been lost (the bus was cut off): no copy here is trusted. */
  forgetAll(): void {
    if (this.coherence !== 'off') this.sessions.clear();
  }

  /** Waits for every queued event to finish; used by graceful shutdown. */
  async drain(): Promise<void> {
    await this.queue.drain();
  }

  /**
   * Graceful shutdown, first step: from now on new sessions and events are refused (`unavailable`, so
   * a client retries elsewhere), and what is already queued commits and is answered.
   */
  async stopAccepting(): Promise<void> {
    this.accepting = false;
    await this.queue.drain();
  }

  /** Queues a change to a session, unless the engine has stopped taking them. */
  private admit<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    if (!this.accepting)
      return Promise.reject(new AppError('unavailable', 'This server is shutting down; try again.'));
    return this.queue.run(sessionId, work);
  }

  private async process(
    sessionId: string,
    command: VisitorCommand,
    clientMessageId?: string,
    origin?: string,
    sentAt?: number,
  ): Promise<EventResult> {
    const cached = this.sessions.has(sessionId);
    const session = await this.sessions.load(sessionId, this.coherence === 'read');
    try {
      return await this.processLoaded(session, command, clientMessageId, origin, sentAt);
    } catch (err) {
      // A refusal computed from a cached actor is only trusted if the cache was current: another
      // node may have moved the conversation on. Writes are guarded by the version check anyway.
      if (cached && err instanceof AppError && err.code !== 'unavailable') {
        const stored = await this.options.store.version(sessionId).catch(() => session.lead.version);
        if (stored !== session.lead.version)
          throw new VersionConflict(`session ${sessionId} moved on elsewhere`);
      }
      throw err;
    }
  }

  private async processLoaded(
    session: LiveSession,
    command: VisitorCommand,
    clientMessageId?: string,
    origin?: string,
    sentAt?: number,
  ): Promise<EventResult> {
    const sessionId = session.lead.id;
    if (clientMessageId !== undefined && session.messageIds.has(clientMessageId)) {
      return replayMessage(
        session.flow.workflow,
        this.options.store,
        this.sessions,
        sessionId,
        command,
        clientMessageId,
      );
    }
    const step = pendingStep(session.live.actor);
    const finished = isFinished(session.live.actor);
    if (finished && !takesClosed(command)) throw new AppError('session_closed');
    const now = this.now();
    const since = session.live.actor.getSnapshot().context.lastEventAt;
    const at = sentAt === undefined ? now : Math.min(now, Math.max(since, sentAt));
    const question = session.live.actor.getSnapshot().context.current;
    const where = { step, question, variants: session.lead.variants };
    const interpreted = interpretIn(
      session.flow.workflow,
      session.lead.locale,
      command,
      where,
      at,
      this.phoneRegion,
    );
    // An ended conversation still takes profile updates and records exits; nothing more happens in it.
    const events = finished ? [] : interpreted.events;
    for (const event of events) {
      const snapshot = session.live.actor.getSnapshot();
      if (!snapshot.can(event)) throw refusal(session.flow.workflow, snapshot.context, event, step);
    }
    const transition = await this.writes.run(session, {
      events,
      input: {
        type: 'visitor.input',
        data: { command, ...interpreted.note },
        ...(clientMessageId ? { clientMessageId } : {}),
      },
      patch: interpreted.patch,
      ...(interpreted.facts ? { facts: interpreted.facts } : {}),
      at,
      visitorActivity: true,
      repeatPrompt: interpreted.repeatPrompt === true,
      clientTimeTaken: command.kind === 'answer' ? (command.timeTaken ?? null) : null,
      ...(origin === undefined ? {} : { origin }),
    });
    return {
      sessionId,
      seq: transition.unit.events[0]!.seq,
      ...transition.outcome,
      prompts: transition.prompts,
      triggers: transition.triggers,
    };
  }
}
