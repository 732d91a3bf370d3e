import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type ConversationMachine, createConversationMachine } from '../../machines/conversation.js';
import type { ConversationEvent, Step } from '../../machines/types.js';
import { AppError } from '../errors.js';
import { planSession } from '../experiments/assignment.js';
import type { Logger } from '../logger.js';
import {
  DuplicateMessage,
  type EventRow,
  type LeadRow,
  type LedgerRow,
  type SessionStore,
  VersionConflict,
} from '../persistence/session-store.js';
import type { Classification } from '../scoring/classification.js';
import { type BotPrompt, renderPrompt } from '../workflow/prompts.js';
import type { Workflow } from '../workflow/schema.js';
import { presentationOf } from '../workflow/variants.js';
import {
  isFinished,
  type LiveActor,
  pendingStep,
  rebuildConversation,
  restoreConversation,
  startConversation,
} from './actor.js';
import { interpret, type ProfilePatch, type VisitorCommand } from './commands.js';
import type { CommitQueue } from './commit-queue.js';
import { type SessionEventMessage, toEventMessage } from './events.js';
import { type CacheCoherence, type LiveSession, SessionCache } from './session-cache.js';
import { KeyedQueue } from './session-queue.js';
import {
  buildTransition,
  type EventOutcome,
  type PromptMessage,
  type Transition,
  type Trigger,
} from './transition.js';

export interface EngineOptions {
  workflow: Workflow;
  store: SessionStore;
  commits: CommitQueue;
  logger: Logger;
  /** The server's clock; tests inject their own. */
  now?: () => number;
  phoneRegion?: string;
  experimentsEnabled?: boolean;
  /** Live actors kept in memory; the least recently used are evicted beyond it. */
  cacheSize?: number;
  /** How cached sessions are kept true to the store when other nodes write too (default `bus`). */
  coherence?: CacheCoherence;
  /** Attempts when the lead changed underneath (another node wrote it). */
  maxConflictRetries?: number;
  /** Told how long each commit took, in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /** The channels a trigger is announced on; their outbox rows commit with the event. */
  routeNotifications?: (trigger: Trigger) => readonly string[];
}

export interface EventResult extends EventOutcome {
  sessionId: string;
  prompts: PromptMessage[];
  duplicate?: true;
}

export interface SessionView {
  sessionId: string;
  state: Step;
  score: number;
  classification: Classification;
  variants: Record<string, string>;
  /** What the bot is waiting for, as it was last sent; sent again when a visitor resumes. Null while
   * an agent holds the session (the bot is paused). */
  prompt: PromptMessage | null;
  lead: LeadRow;
}

export interface LeadRecord {
  lead: LeadRow;
  ledger: LedgerRow[];
}

/** What one committed event added to a session, told to local listeners (transports, the bus). */
export interface Committed {
  sessionId: string;
  events: EventRow[];
  prompts: PromptMessage[];
  triggers: Trigger[];
  /** Notification rows queued in the outbox with the event (routed triggers × channels). */
  notifications: number;
  /** The lead as committed. */
  lead: LeadRow;
}

/** Who acts for the sales team. */
export interface AgentRef {
  id: string;
  name: string;
  role: 'agent' | 'admin';
}

/** What an agent does to a session. */
export type AgentAct = { kind: 'takeover' } | { kind: 'release' } | { kind: 'message'; text: string };

export interface StartOptions {
  utmSource?: string;
  locale?: string;
}

/** Triggers that count as experiment conversions by themselves. */
const AUTO_CONVERSIONS: readonly Trigger[] = ['demo_requested', 'contact_shared', 'sql', 'completed'];

const OPEN_STATES: readonly Step[] = ['greeting', 'about', 'questions', 'contact', 'cta'];

/** Refusals of a visitor event that depend on where the conversation stands. */
const STATE_REFUSALS: readonly string[] = [
  'invalid_option',
  'invalid_state',
  'unknown_question',
  'validation_failed',
  'conflict',
];

/**
 * The conversation engine: the one write path for every visitor event, whatever door it came in by.
 * A session's events run one at a time; each event's whole effect commits in one transaction before
 * the caller hears of it; a failed commit leaves nothing behind and drops the cached actor.
 */
export class ConversationEngine {
  readonly workflow: Workflow;
  private readonly machine: ConversationMachine;
  private readonly queue = new KeyedQueue();
  private readonly cache: SessionCache;
  private readonly coherence: CacheCoherence;
  private readonly now: () => number;
  private readonly phoneRegion: string;
  private readonly maxRetries: number;
  private readonly listeners = new Set<(committed: Committed) => void>();
  private accepting = true;

  constructor(private readonly options: EngineOptions) {
    this.workflow = options.workflow;
    this.machine = createConversationMachine(options.workflow);
    this.now = options.now ?? Date.now;
    this.phoneRegion = options.phoneRegion ?? 'IN';
    this.cache = new SessionCache(options.cacheSize ?? 50_000);
    this.coherence = options.coherence ?? 'bus';
    this.maxRetries = options.maxConflictRetries ?? 3;
  }

  /** Opens a new session: awards session_opened and puts the greeting. */
  startSession(options: StartOptions = {}): Promise<EventResult & { variants: Record<string, string> }> {
    const id = `sess_${randomBytes(16).toString('hex')}`;
    // Queued like any event of the session, so that a graceful shutdown waits for it too.
    return this.admit(id, () => this.open(id, options));
  }

  private async open(
    id: string,
    options: StartOptions,
  ): Promise<EventResult & { variants: Record<string, string> }> {
    const at = this.now();
    const plan = planSession(this.workflow, id, this.options.experimentsEnabled ?? true);
    const live = startConversation(this.machine, { questionOrder: plan.questionOrder, startedAt: at });
    const date = new Date(at);
    const lead: LeadRow = {
      id,
      name: null,
      email: null,
      phone: null,
      businessType: null,
      location: null,
      staffSize: null,
      monthlySales: null,
      featuresInterested: [],
      utmSource: options.utmSource ?? null,
      locale: options.locale ?? null,
      score: 0,
      classification: 'Unqualified',
      state: 'greeting',
      variants: plan.variants,
      questionOrder: plan.questionOrder,
      snapshot: null,
      lastSeq: 0,
      version: 1,
      humanHelp: false,
      takenOverBy: null,
      erasedAt: null,
      erasedBy: null,
      createdAt: date,
      updatedAt: date,
      lastActivityAt: date,
      completedAt: null,
      qualifiedAt: null,
    };
    const session: LiveSession = { lead, live, awarded: new Set(), messageIds: new Set() };
    const transition = buildTransition({
      workflow: this.workflow,
      lead,
      actor: live.actor,
      awarded: session.awarded,
      emitted: live.drain(),
      input: {
        type: 'session.started',
        data: {
          utmSource: lead.utmSource,
          locale: lead.locale,
          variants: plan.variants,
          questionOrder: plan.questionOrder,
        },
      },
      machineEvents: [],
      patch: {},
      clientTimeTaken: null,
      at,
      visitorActivity: true,
      isNew: true,
    });
    await this.commit(transition);
    this.remember(id, this.applied(session, transition));
    return { sessionId: id, ...transition.outcome, prompts: transition.prompts, variants: plan.variants };
  }

  /** Handles one visitor command. `clientMessageId` makes it idempotent. */
  handle(sessionId: string, command: VisitorCommand, clientMessageId?: string): Promise<EventResult> {
    return this.admit(sessionId, async () => {
      let raced = false;
      try {
        return await this.withRetries(
          sessionId,
          () => this.process(sessionId, command, clientMessageId),
          () => {
            raced = true;
          },
        );
      } catch (err) {
        // Another writer moved the conversation on, and this event no longer fits it: the visitor is
        // told what it waits on now, so a client that showed the older prompt is not left without one.
        if (raced && err instanceof AppError && STATE_REFUSALS.includes(err.code))
          throw await this.withPrompt(sessionId, err);
        throw err;
      }
    });
  }

  /** The refusal with the prompt the session now waits on in its details (none while held or ended). */
  private async withPrompt(sessionId: string, err: AppError): Promise<AppError> {
    try {
      const session = await this.load(sessionId);
      if (session.lead.takenOverBy || isFinished(session.live.actor)) return err;
      const prompt = await this.resumePrompt(session.lead, session.live);
      const details = typeof err.details === 'object' && err.details !== null ? err.details : {};
      return new AppError(err.code, err.message, { ...details, prompt }, { cause: err.cause });
    } catch {
      return err;
    }
  }

  /** The session as it stands, with the prompt it waits on. */
  view(sessionId: string): Promise<SessionView> {
    return this.queue.run(sessionId, async () => {
      // A resume is answered from what is stored, never from a copy another node has overtaken.
      const session = await this.load(sessionId, this.coherence !== 'off');
      const { lead, live } = session;
      return {
        sessionId,
        state: lead.state as Step,
        score: lead.score,
        classification: lead.classification as Classification,
        variants: lead.variants,
        prompt: lead.takenOverBy ? null : await this.resumePrompt(lead, live),
        lead,
      };
    });
  }

  /** The prompt the session waits on, as it was last sent (same seq), or rendered anew. */
  private async resumePrompt(lead: LeadRow, live: LiveActor): Promise<PromptMessage> {
    const pending = this.pendingPrompt(live, lead.variants);
    const last = (await read(() => this.options.store.lastEvent(lead.id, 'bot.prompt')))?.data as
      | PromptMessage
      | undefined;
    const same = last && last.step === pending.step && last.questionId === pending.questionId;
    return same ? last : { ...pending, seq: lead.lastSeq, id: `${lead.id}:${lead.lastSeq}` };
  }

  /**
   * The session's event log after `sinceSeq`, read after any queued event of the session, without
   * loading its actor (an agent may watch from another node than the visitor's).
   */
  eventLog(sessionId: string, sinceSeq = 0): Promise<SessionEventMessage[]> {
    return this.queue.run(sessionId, async () => {
      const [rows] = await Promise.all([
        read(() => this.options.store.eventLog(sessionId, sinceSeq)),
        this.mustExist(sessionId),
      ]);
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

  private async mustExist(sessionId: string): Promise<void> {
    const stored = await read(() => this.options.store.version(sessionId, { erased: false }));
    if (stored === null) throw new AppError('session_not_found');
  }

  /** Marks sessions idle past the workflow's deadline as abandoned (early_dropout). Returns how many. */
  async expireIdle(limit = 500): Promise<number> {
    const cutoff = new Date(this.now() - this.workflow.idleMinutes * 60_000);
    const ids = await this.options.store.idleSessions(OPEN_STATES, cutoff, limit);
    let expired = 0;
    for (const id of ids) {
      const done = await this.queue
        .run(id, () =>
          this.withRetries(id, async () => {
            const session = await this.load(id);
            if (session.lead.lastActivityAt >= cutoff || !OPEN_STATES.includes(session.lead.state as Step))
              return false;
            const at = this.now();
            const event: ConversationEvent = { type: 'session.idle', at };
            await this.run(session, [event], { type: 'session.idle', data: {} }, {}, at, false, null);
            return true;
          }),
        )
        .catch((err: unknown) => {
          this.options.logger.warn({ sessionId: id, err }, 'could not expire idle session');
          return false;
        });
      if (done) expired += 1;
    }
    return expired;
  }

  /**
   * An agent takes over, writes to the visitor, or releases the session. One agent holds a session at
   * a time; while held the bot is paused, and the release puts its pending prompt again.
   */
  agentAct(
    sessionId: string,
    agent: AgentRef,
    act: AgentAct,
  ): Promise<EventResult & { takenOverBy: string | null }> {
    return this.admit(sessionId, () =>
      this.withRetries(sessionId, async () => {
        const session = await this.load(sessionId);
        const holder = session.lead.takenOverBy ?? null;
        const finished = isFinished(session.live.actor);
        const at = this.now();
        if (act.kind === 'takeover' && holder !== null && holder !== agent.id) {
          throw new AppError('conflict', 'Another agent holds this session.', { takenOverBy: holder });
        }
        if (
          act.kind !== 'takeover' &&
          holder !== agent.id &&
          !(act.kind === 'release' && agent.role === 'admin')
        ) {
          throw new AppError('forbidden', 'Take the session over first.', { takenOverBy: holder });
        }
        const machineEvents: ConversationEvent[] =
          finished || act.kind === 'message'
            ? []
            : act.kind === 'takeover'
              ? [{ type: 'agent.takeover', at, agentId: agent.id }]
              : [{ type: 'agent.release', at }];
        const type =
          act.kind === 'takeover' ? 'agent.joined' : act.kind === 'release' ? 'agent.left' : 'agent.message';
        const data = {
          agentId: agent.id,
          name: agent.name,
          ...(act.kind === 'message' ? { text: act.text } : {}),
        };
        const takenOverBy = act.kind === 'takeover' ? agent.id : act.kind === 'release' ? null : holder;
        const transition = await this.run(
          session,
          machineEvents,
          { type, data },
          { takenOverBy },
          at,
          false,
          null,
        );
        return { sessionId, ...transition.outcome, prompts: transition.prompts, takenOverBy };
      }),
    );
  }

  /**
   * Erases the lead's personal data and closes its session (see SessionStore.erase): the version moves
   * on, so no copy of the session anywhere can write again, and the erase is told like a commit (its
   * `lead.erased` event), so other nodes drop their copies and watchers see it.
   */
  erase(sessionId: string, by: string): Promise<void> {
    return this.queue.run(sessionId, async () => {
      const erased = await read(() => this.options.store.erase(sessionId, by, new Date(this.now())));
      this.evict(sessionId);
      if (!erased) throw new AppError('session_not_found');
      this.tell({
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
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether this node holds the session in memory. */
  isCached(sessionId: string): boolean {
    return this.cache.has(sessionId);
  }

  /** Drops a session's actor from memory (the next event reloads it from the database). */
  evict(sessionId: string): void {
    this.cache.evict(sessionId);
  }

  /**
   * Another node committed `version` of a session (or erased it): a copy here that is older is dropped,
   * after any event of the session under way here (whose commit then fails its version check and is
   * computed again from the store).
   */
  forgetOlder(sessionId: string, version: number): void {
    if (this.coherence === 'off' || !this.cache.isOlderThan(sessionId, version)) return;
    void this.queue.run(sessionId, async () => {
      if (this.cache.isOlderThan(sessionId, version)) this.evict(sessionId);
    });
  }

  /** Messages from other nodes may have been lost (the bus was cut off): no copy here is trusted. */
  forgetAll(): void {
    if (this.coherence !== 'off') this.cache.clear();
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
  ): Promise<EventResult> {
    const cached = this.cache.has(sessionId);
    const session = await this.load(sessionId, this.coherence === 'read');
    try {
      return await this.processLoaded(session, command, clientMessageId);
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
  ): Promise<EventResult> {
    const sessionId = session.lead.id;
    if (clientMessageId !== undefined && session.messageIds.has(clientMessageId)) {
      return this.replay(sessionId, command, clientMessageId);
    }
    const step = pendingStep(session.live.actor);
    const finished = isFinished(session.live.actor);
    if (finished && command.kind !== 'profile') throw new AppError('session_closed');
    const at = this.now();
    const question = session.live.actor.getSnapshot().context.current;
    const interpreted = interpret(
      this.workflow,
      command,
      { step, question, variants: session.lead.variants },
      at,
      this.phoneRegion,
    );
    // An ended conversation still takes profile updates, but nothing more happens in it.
    const events = finished ? [] : interpreted.events;
    for (const event of events) {
      if (!session.live.actor.getSnapshot().can(event)) {
        throw new AppError(
          'invalid_state',
          `The conversation is at ${step} and cannot take this ${describe(event)}.`,
        );
      }
    }
    const input = {
      type: 'visitor.input',
      data: { command },
      ...(clientMessageId ? { clientMessageId } : {}),
    };
    const timeTaken = command.kind === 'answer' ? (command.timeTaken ?? null) : null;
    const transition = await this.run(session, events, input, interpreted.patch, at, true, timeTaken);
    return { sessionId, ...transition.outcome, prompts: transition.prompts };
  }

  /** Sends events to the actor, commits their effect, and only then updates memory. */
  private async run(
    session: LiveSession,
    events: ConversationEvent[],
    input: { type: string; data: Record<string, unknown>; clientMessageId?: string },
    patch: ProfilePatch & { takenOverBy?: string | null },
    at: number,
    visitorActivity: boolean,
    clientTimeTaken: number | null,
  ): Promise<Transition> {
    const id = session.lead.id;
    try {
      for (const event of events) session.live.actor.send(event);
      const transition = buildTransition({
        workflow: this.workflow,
        lead: session.lead,
        actor: session.live.actor,
        awarded: session.awarded,
        emitted: session.live.drain(),
        input,
        machineEvents: events,
        patch,
        clientTimeTaken,
        at,
        visitorActivity,
        isNew: false,
      });
      await this.commit(transition);
      this.remember(id, this.applied(session, transition, input.clientMessageId));
      return transition;
    } catch (err) {
      // The actor has moved ahead of what is stored: never let it act again.
      this.evict(id);
      throw err;
    }
  }

  private async commit(transition: Transition): Promise<void> {
    const route = this.options.routeNotifications;
    if (route && transition.triggers.length > 0) {
      transition.unit.notifications = transition.triggers.flatMap((trigger) =>
        route(trigger).map((channel) => ({ trigger, channel })),
      );
    }
    // Experiment conversions counted automatically, for every test the lead takes part in.
    const counted = transition.triggers.filter((t) => AUTO_CONVERSIONS.includes(t));
    if (counted.length > 0) {
      transition.unit.conversions = Object.entries(transition.unit.lead.variants).flatMap(
        ([testName, variant]) => counted.map((conversionType) => ({ testName, variant, conversionType })),
      );
    }
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
      });
    } catch (err) {
      if (err instanceof VersionConflict || err instanceof DuplicateMessage || err instanceof AppError)
        throw err;
      this.options.logger.error({ err, sessionId: transition.unit.lead.id }, 'commit failed');
      throw new AppError('unavailable', undefined, undefined, { cause: err });
    }
  }

  private tell(committed: Committed): void {
    for (const listener of this.listeners) {
      try {
        listener(committed);
      } catch (err) {
        this.options.logger.error({ err, sessionId: committed.sessionId }, 'commit listener failed');
      }
    }
  }

  private applied(session: LiveSession, transition: Transition, clientMessageId?: string): LiveSession {
    for (const entry of transition.ledger) session.awarded.add(entry.onceKey);
    if (clientMessageId !== undefined) session.messageIds.add(clientMessageId);
    session.lead = { ...transition.unit.lead, snapshot: null };
    return session;
  }

  /** Runs `attempt`, reloading and retrying when another writer got there first. */
  private async withRetries<T>(
    sessionId: string,
    attempt: () => Promise<T>,
    onConflict?: () => void,
  ): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        // Another node wrote first (or stored this very message): reload, then the retry sees it.
        if (!(err instanceof VersionConflict || err instanceof DuplicateMessage)) throw err;
        onConflict?.();
        this.evict(sessionId);
        if (i + 1 >= this.maxRetries) throw new AppError('conflict', undefined, undefined, { cause: err });
        this.options.logger.debug({ sessionId, attempt: i + 1 }, 'version conflict; reloading');
      }
    }
  }

  private async replay(
    sessionId: string,
    command: VisitorCommand,
    clientMessageId: string,
  ): Promise<EventResult> {
    const stored = await read(() => this.options.store.findMessage(sessionId, clientMessageId));
    if (!stored?.result) throw new AppError('unavailable', 'The original message could not be read back.');
    const original = (stored.data as { command?: unknown }).command;
    if (!isDeepStrictEqual(original, command)) {
      throw new AppError('duplicate_mismatch', undefined, { clientMessageId });
    }
    // A retry after a lost response is told again what the bot now waits for.
    const session = await this.load(sessionId);
    const prompt = await this.resumePrompt(session.lead, session.live);
    return { sessionId, ...(stored.result as unknown as EventOutcome), prompts: [prompt], duplicate: true };
  }

  /** The session from memory, or from the store; with `verify`, a copy is used only if still current. */
  private async load(sessionId: string, verify = false): Promise<LiveSession> {
    const cached = this.cache.get(sessionId);
    if (cached) {
      if (!verify) return cached;
      const version = await read(() => this.options.store.version(sessionId, { erased: false }));
      if (version === cached.lead.version) return cached;
      this.evict(sessionId);
      if (version === null) throw new AppError('session_not_found');
    }
    const stored = await read(() => this.options.store.loadSession(sessionId));
    // An erased lead is a tombstone: there is no conversation left to continue.
    if (!stored || stored.lead.erasedAt) throw new AppError('session_not_found');
    // The snapshot lives on in the actor; the row in memory does not keep a second copy.
    const lead = { ...stored.lead, snapshot: null };
    const input = { questionOrder: lead.questionOrder, startedAt: lead.createdAt.getTime() };
    let live = restoreConversation(this.machine, input, stored.lead.snapshot);
    if (!live) {
      const log = await read(() => this.options.store.eventLog(sessionId));
      live = rebuildConversation(
        this.machine,
        input,
        log.flatMap((e) =>
          Array.isArray(e.data.machineEvents) ? (e.data.machineEvents as ConversationEvent[]) : [],
        ),
      );
      this.options.logger.warn(
        { sessionId },
        'stored snapshot did not fit the machine; rebuilt from the event log',
      );
    }
    const session: LiveSession = {
      lead,
      live,
      awarded: new Set(stored.awardedKeys),
      messageIds: new Set(stored.clientMessageIds),
    };
    this.remember(sessionId, session);
    return session;
  }

  private remember(sessionId: string, session: LiveSession): void {
    this.cache.set(sessionId, session);
  }

  private pendingPrompt(live: LiveActor, variants: Record<string, string>): BotPrompt {
    const presentation = presentationOf(this.workflow, variants);
    const step = pendingStep(live.actor);
    const context = live.actor.getSnapshot().context;
    if (step === 'questions' || step === 'about') {
      return renderPrompt(
        this.workflow,
        {
          step: 'questions',
          questionId: context.current ?? context.questionOrder[0]!,
        },
        presentation,
      );
    }
    return renderPrompt(this.workflow, { step: step === 'abandoned' ? 'greeting' : step });
  }
}

function describe(event: ConversationEvent): string {
  return event.type.replace('visitor.', '');
}

/** A database read; any failure of it reaches the caller as `unavailable`. */
async function read<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new AppError('unavailable', undefined, undefined, { cause: err });
  }
}
