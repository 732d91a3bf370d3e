import type { Step } from '../../machines/types.js';
import type { Touch } from '../leads/attribution.js';
import type { Logger } from '../logger.js';
import type { CommitUnit, EventRow, LeadRow, LedgerRow } from '../persistence/rows.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { Classification } from '../scoring/classification.js';
import type { WorkflowRegistry } from '../workflow/registry.js';
import type { Workflow } from '../workflow/schema.js';
import type { CommitQueue } from './commit-queue.js';
import type { CacheCoherence } from './live-sessions.js';
import type { EventOutcome, PromptMessage, Trigger } from './transition.js';

/** What the caller of an event is told. */
export interface EventResult extends EventOutcome {
  sessionId: string;
  /** Where the visitor's input sits in the session's event log (it names a recorded exit). */
  seq?: number;
  prompts: PromptMessage[];
  duplicate?: true;
  /** What the event set off (none on a duplicate, which set off nothing again). */
  triggers?: readonly Trigger[];
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
  /** The workflow version the session started with (and runs on). */
  workflow: Workflow;
  /** The profile questions on the visitor's path as it stands (in a workflow without branches: all). */
  path: readonly number[];
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
  /**
   * The connection that sent the event, when it takes the bot's reply in its acknowledgement (chat
   * protocol 2): the transport's broadcast of `prompts` skips it.
   */
  origin?: string;
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
  /** Where the visitor came from (the first touch); wins over `utmSource`. */
  attribution?: Touch;
  utmSource?: string;
  locale?: string;
  /** The widget's long-lived visitor id (src/leads/identity.ts). */
  visitorId?: string;
  /** The host site's user id, verified by its HMAC before it gets here. */
  identity?: string;
  /** The door the session comes in by (default `web`). */
  channel?: 'web' | 'whatsapp';
  /** A phone number the door already knows (WhatsApp's), stored without being scored. */
  phone?: string;
  /** The visitor's newest earlier lead, and whether any earlier lead was SQL (set by the engine). */
  returning?: { from: string; wasSql: boolean };
}

export interface EngineOptions {
  /** A returning visitor's earlier leads, by visitor id or identity (src/persistence/lead-queries.ts). */
  returningOf?: (options: StartOptions) => Promise<StartOptions['returning']>;
  /** The workflow versions: new sessions start on the active one, each session runs on its own. */
  workflows: WorkflowRegistry;
  store: SessionStore;
  commits: CommitQueue;
  logger: Logger;
  /** The server's clock; tests inject their own. */
  now?: () => number;
  phoneRegion?: string;
  experimentsEnabled?: boolean;
  /** Sessions kept in memory; the least recently used are evicted beyond it. */
  cacheSize?: number;
  /**
   * Of the sessions in memory, how many (the most recently used) keep a running actor; the others keep
   * their snapshot only and get an actor again on their next event. Default: all of them.
   */
  runningActors?: number;
  /** How cached sessions are kept true to the store when other nodes write too (default `bus`). */
  coherence?: CacheCoherence;
  /** Attempts when the lead changed underneath (another node wrote it). */
  maxConflictRetries?: number;
  /** Told how long each commit took, in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /** The channels a trigger is announced on; their outbox rows commit with the event. */
  routeNotifications?: (trigger: Trigger) => readonly string[];
  /** The rules of doors that deliver the bot's messages themselves (WhatsApp): see ChannelPolicy. */
  channelPolicy?: ChannelPolicy;
}

/**
 * What a door that sends the conversation's messages through the outbox (rather than a live
 * connection) adds to the engine: the outbox rows that carry a commit's bot prompts and agent
 * messages, committed with them; and a refusal of an agent's act the channel cannot deliver.
 */
export interface ChannelPolicy {
  /** Outbox rows for what `unit` says to the visitor (none for a session of another door). */
  deliveries(unit: CommitUnit): { trigger: string; channel: string }[];
  /** Fails with an AppError when the act cannot reach the visitor of `lead` at `at`. */
  checkAgentAct(lead: LeadRow, act: AgentAct, at: number): Promise<void>;
}
