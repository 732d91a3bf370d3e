import { createActor } from 'xstate';
import { createConversationMachine, stepOf } from '../../machines/conversation.js';
import type { ConversationEmitted, ConversationEvent, Step } from '../../machines/types.js';
import { type Classification, classify } from '../../src/scoring/classification.js';
import { type LedgerEntry, scoreFacts } from '../../src/scoring/ledger.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import type { Workflow } from '../../src/workflow/schema.js';

/**
 * The machine and the scoring rules together, with no I/O: what the engine does minus storage.
 * Time is whatever each event says.
 */
export class Simulation {
  readonly ledger: LedgerEntry[] = [];
  readonly prompts: Extract<ConversationEmitted, { type: 'prompt' }>[] = [];
  private readonly awarded = new Set<string>();
  private readonly emitted: ConversationEmitted[] = [];
  readonly actor;

  constructor(
    readonly workflow: Workflow = loadWorkflow(),
    startedAt = 0,
    questionOrder = workflow.questions.map((q) => q.id),
  ) {
    this.actor = createActor(createConversationMachine(workflow), { input: { questionOrder, startedAt } });
    this.actor.on('*', (e) => this.emitted.push(e as ConversationEmitted));
    this.actor.start();
    this.collect();
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
  }

  get score(): number {
    return this.ledger.reduce((sum, e) => sum + e.points, 0);
  }

  get classification(): Classification {
    return classify(this.score, this.workflow.thresholds);
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
