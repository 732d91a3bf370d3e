import { type Actor, createActor } from 'xstate';
import { type ConversationMachine, createConversationMachine, stepOf } from '../../machines/conversation.js';
import type { ConversationEmitted, ConversationEvent, Step } from '../../machines/types.js';
import { type ScoreParts, scoreParts } from '../../src/scoring/answer-values.js';
import { type Classification, classify } from '../../src/scoring/classification.js';
import { type LedgerEntry, scoreFacts } from '../../src/scoring/ledger.js';
import type { Workflow } from '../../src/workflow/schema.js';
import { seedRules } from './workflows.js';

const machines = new WeakMap<Workflow, ConversationMachine>();
/** One machine per workflow (a walk of the graph forks thousands of simulations). */
function machineOf(workflow: Workflow): ConversationMachine {
  const known = machines.get(workflow);
  if (known) return known;
  const machine = createConversationMachine(workflow);
  machines.set(workflow, machine);
  return machine;
}

/**
 * The machine and the scoring rules together, with no I/O: what the engine does minus storage.
 * Time is whatever each event says.
 */
export class Simulation {
  readonly ledger: LedgerEntry[] = [];
  readonly prompts: Extract<ConversationEmitted, { type: 'prompt' }>[] = [];
  /** Every behaviour the machine emitted, before the once-rules (an answer changed is there twice). */
  readonly facts: Extract<ConversationEmitted, { type: 'behavior' }>[] = [];
  private readonly awarded = new Set<string>();
  private readonly emitted: ConversationEmitted[] = [];
  readonly actor: Actor<ConversationMachine>;

  constructor(
    // The seed's own rules unless a test names a workflow: see ./workflows.ts.
    readonly workflow: Workflow = seedRules,
    startedAt = 0,
    questionOrder = workflow.questions.map((q) => q.id),
    from?: Simulation,
  ) {
    this.actor = createActor(machineOf(workflow), {
      input: { questionOrder, startedAt },
      ...(from ? { snapshot: from.actor.getPersistedSnapshot() } : {}),
    });
    this.actor.on('*', (e) => this.emitted.push(e as ConversationEmitted));
    this.actor.start();
    if (from) {
      // Restored, as the engine restores a stored session: what was scored and said comes along.
      this.ledger.push(...from.ledger);
      this.prompts.push(...from.prompts);
      for (const key of from.awarded) this.awarded.add(key);
    }
    this.collect();
  }

  /** A copy that goes on on its own: the actor restored from this one's persisted snapshot. */
  fork(): Simulation {
    return new Simulation(this.workflow, 0, [], this);
  }

  /** Sends the event if the machine can take it; returns whether it did. */
  send(event: ConversationEvent): boolean {
    if (!this.actor.getSnapshot().can(event)) return false;
    this.actor.send(event);
    this.collect();
    return true;
  }

  private collect(): void {
    const batch = this.emitted.splice(0);
    const facts = batch.filter(
      (e): e is Extract<ConversationEmitted, { type: 'behavior' }> => e.type === 'behavior',
    );
    for (const entry of scoreFacts(this.workflow, this.awarded, facts)) {
      this.awarded.add(entry.onceKey);
      this.ledger.push(entry);
    }
    for (const e of batch) if (e.type === 'prompt') this.prompts.push(e);
    this.facts.push(...facts);
  }

  get score(): number {
    return this.ledger.reduce((sum, e) => sum + e.points, 0);
  }

  /** The score's parts: fit (answer values) and engagement. */
  get parts(): ScoreParts {
    return scoreParts(this.ledger);
  }

  get classification(): Classification {
    return classify(this.score, this.workflow.thresholds, this.parts);
  }

  get step(): Step {
    return stepOf(this.actor.getSnapshot());
  }

  get done(): boolean {
    return this.actor.getSnapshot().status === 'done';
  }

  behaviors(): string[] {
    return this.ledger.map((e) => e.behavior);
  }
}
