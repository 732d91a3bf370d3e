import { type Actor, createActor } from 'xstate';
import {
  CONVERSATION_MACHINE_VERSION,
  type ConversationMachine,
  type ConversationSnapshot,
  stepOf,
} from '../../machines/conversation.js';
import type {
  ConversationEmitted,
  ConversationEvent,
  ConversationInput,
  Step,
} from '../../machines/types.js';

export type ConversationActor = Actor<ConversationMachine>;

/** A running actor and what it has emitted since the last `drain()`. */
export interface LiveActor {
  actor: ConversationActor;
  drain(): ConversationEmitted[];
}

/** How a snapshot is stored: tagged with the machine version it was taken from. */
export interface StoredSnapshot {
  v: number;
  snapshot: unknown;
}

function start(machine: ConversationMachine, input: ConversationInput, snapshot?: unknown): LiveActor {
  const emitted: ConversationEmitted[] = [];
  let failure: unknown;
  const actor = createActor(machine, {
    input,
    ...(snapshot === undefined ? {} : { snapshot: snapshot as ConversationSnapshot }),
  });
  actor.on('*', (e) => emitted.push(e as ConversationEmitted));
  actor.subscribe({ error: (err) => (failure = err) });
  actor.start();
  if (failure !== undefined || actor.getSnapshot().status === 'error') {
    actor.stop();
    throw new Error(`actor failed to start: ${String(failure ?? actor.getSnapshot().error)}`);
  }
  return { actor, drain: () => emitted.splice(0) };
}

/** A new conversation; its first emissions (session opened, greeting) are waiting in `drain()`. */
export function startConversation(machine: ConversationMachine, input: ConversationInput): LiveActor {
  return start(machine, input);
}

/**
 * Restores a conversation from its stored snapshot; null when the snapshot no longer fits the machine
 * (another version, a state that was removed) — then `rebuildConversation` replays the log.
 */
export function restoreConversation(
  machine: ConversationMachine,
  input: ConversationInput,
  stored: unknown,
): LiveActor | null {
  const s = stored as StoredSnapshot | null;
  if (!s || s.v !== CONVERSATION_MACHINE_VERSION) return null;
  try {
    return start(machine, input, s.snapshot);
  } catch {
    return null;
  }
}

/** Rebuilds a conversation by replaying the machine events of its log. */
export function rebuildConversation(
  machine: ConversationMachine,
  input: ConversationInput,
  events: readonly ConversationEvent[],
): LiveActor {
  const live = start(machine, input);
  for (const event of events) live.actor.send(event);
  live.drain();
  return live;
}

export function storeSnapshot(actor: ConversationActor): StoredSnapshot {
  return { v: CONVERSATION_MACHINE_VERSION, snapshot: actor.getPersistedSnapshot() };
}

export function isFinished(actor: ConversationActor): boolean {
  return actor.getSnapshot().status === 'done';
}

export function currentStep(actor: ConversationActor): Step {
  return stepOf(actor.getSnapshot());
}

/** The step the visitor is expected to answer: for an abandoned session, the one it left off at. */
export function pendingStep(actor: ConversationActor): Step {
  const snapshot = actor.getSnapshot();
  const step = stepOf(snapshot);
  if (step !== 'abandoned') return step;
  const history = (snapshot.historyValue as Record<string, { id: string }[]> | undefined)?.[
    'conversation.active.hist'
  ];
  const id = history?.[0]?.id ?? 'conversation.active.greeting';
  return id.split('.').at(-1) as Step;
}
