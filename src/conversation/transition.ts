import type { BehaviorFact, ConversationEmitted, ConversationEvent, Step } from '../../machines/types.js';
import { returningLead } from '../leads/earlier.js';
import type { AnswerRow, CommitUnit, EventRow, LeadRow, LedgerRow } from '../persistence/rows.js';
import type { RoutingFields } from '../routing/fields.js';
import { scoreParts } from '../scoring/answer-values.js';
import { type Classification, classify } from '../scoring/classification.js';
import { type PageFact, scoreFacts } from '../scoring/ledger.js';
import { answerText } from '../workflow/answers.js';
import { fieldWrite } from '../workflow/fields.js';
import { type BotPrompt, renderPrompt } from '../workflow/prompts.js';
import type { Workflow } from '../workflow/schema.js';
import { presentationOf } from '../workflow/variants.js';
import { type ConversationActor, currentStep, storeSnapshot } from './actor.js';
import type { ProfilePatch } from './commands.js';
import type { Trigger } from './triggers.js';

export type { Trigger };

/** A bot message as sent to the visitor: its place in the session event log and an id. */
export type PromptMessage = BotPrompt & { seq: number; id: string };

export interface Award {
  behavior: string;
  points: number;
}

/** What the caller of an event is told; stored with the event so a duplicate gets the same answer. */
export interface EventOutcome {
  score: number;
  classification: Classification;
  state: Step;
  awarded: Award[];
}

export interface Transition {
  unit: CommitUnit;
  outcome: EventOutcome;
  prompts: PromptMessage[];
  ledger: LedgerRow[];
  /** What this event set off. */
  triggers: Trigger[];
}

const TRIGGER_OF: Record<string, Trigger> = {
  clicked_demo: 'demo_requested',
  shared_contact: 'contact_shared',
  answered_all_questions: 'completed',
};

export interface TransitionInput {
  workflow: Workflow;
  lead: LeadRow;
  actor: ConversationActor;
  awarded: ReadonlySet<string>;
  /** What the actor emitted while handling the events. */
  emitted: ConversationEmitted[];
  /** The log entry of the input itself (null: nothing to log, as for a brand-new session). */
  input: { type: string; data: Record<string, unknown>; clientMessageId?: string } | null;
  machineEvents: ConversationEvent[];
  /** Bot messages the server adds beside the machine's (after hours: the callback's question, its confirmation). */
  said?: BotPrompt[];
  /** Facts worked out outside the machine (a page view that meets a page rule). */
  pageFacts?: (PageFact & { at: number })[];
  patch: ProfilePatch & { takenOverBy?: string | null } & Partial<RoutingFields>;
  /** The answer time the client reported (REST `time_taken`), stored apart and never scored. */
  clientTimeTaken: number | null;
  at: number;
  /** Visitor activity moves the idle deadline; server-made events do not. */
  visitorActivity: boolean;
  isNew: boolean;
}

const FIELD_OF = {
  business_type: 'businessType',
  location: 'location',
  staff_size: 'staffSize',
  monthly_sales: 'monthlySales',
  features_interested: 'featuresInterested',
} as const;

/**
 * Everything one event changes — ledger rows, answers, log entries, the new lead row — computed from
 * what the actor emitted. Pure apart from reading the actor's snapshot.
 */
export function buildTransition(t: TransitionInput): Transition {
  const { workflow, lead } = t;
  const at = new Date(t.at);
  const facts = t.emitted.filter(
    (e): e is Extract<ConversationEmitted, { type: 'behavior' }> => e.type === 'behavior',
  );
  const entries = scoreFacts(workflow, t.awarded, [...facts, ...(t.pageFacts ?? [])]);
  let seq = lead.lastSeq;
  const events: EventRow[] = [];
  const inputSeq = t.input ? ++seq : 0;

  const ledger: LedgerRow[] = entries.map((e) => ({
    behavior: e.behavior,
    points: e.points,
    onceKey: e.onceKey,
    evidence: e.evidence,
    eventSeq: inputSeq,
    at: new Date(e.at),
  }));
  const gained = scoreParts(ledger);
  const fitScore = lead.fitScore + gained.fit;
  const engagementScore = lead.engagementScore + gained.engagement;
  const score = lead.score + gained.fit + gained.engagement;
  const classification = classify(score, workflow.thresholds, { fit: fitScore, engagement: engagementScore });
  const snapshot = t.actor.getSnapshot();
  const state = currentStep(t.actor);
  const outcome: EventOutcome = {
    score,
    classification,
    state,
    awarded: ledger.map(({ behavior, points }) => ({ behavior, points })),
  };

  if (t.input) {
    events.push({
      seq: inputSeq,
      type: t.input.type,
      at,
      data: { ...t.input.data, machineEvents: t.machineEvents },
      clientMessageId: t.input.clientMessageId ?? null,
      result: outcome as unknown as Record<string, unknown>,
    });
  }
  if (ledger.length > 0) {
    events.push({
      seq: ++seq,
      type: 'score.changed',
      at,
      data: {
        awarded: outcome.awarded,
        score,
        fit: fitScore,
        engagement: engagementScore,
        classification,
        previousClassification: lead.classification,
      },
    });
  }
  if (state !== lead.state || t.isNew) {
    events.push({
      seq: ++seq,
      type: 'state.changed',
      at,
      data: { from: t.isNew ? null : lead.state, to: state },
    });
  }
  const prompts: PromptMessage[] = [];
  const locale = t.patch.locale ?? lead.locale;
  const presentation = presentationOf(workflow, lead.variants, locale);
  for (const e of t.emitted) {
    if (e.type !== 'prompt') continue;
    const prompt = {
      ...renderPrompt(workflow, e, presentation, locale),
      seq: ++seq,
      id: `${lead.id}:${seq}`,
    };
    prompts.push(prompt);
    events.push({ seq: prompt.seq, type: 'bot.prompt', at: new Date(e.at), data: { ...prompt } });
  }
  for (const said of t.said ?? []) {
    const prompt = { ...said, seq: ++seq, id: `${lead.id}:${seq}` };
    prompts.push(prompt);
    events.push({ seq: prompt.seq, type: 'bot.prompt', at, data: { ...prompt } });
  }

  const answers: AnswerRow[] = [];
  const profile: ProfilePatch = { ...t.patch };
  for (const fact of facts) {
    if (fact.behavior !== 'answered_question') continue;
    const row = answerRow(workflow, fact, entries, t.clientTimeTaken);
    if (!row) continue;
    answers.push(row.answer);
    if (row.write && 'profileField' in row.write)
      profile[FIELD_OF[row.write.profileField]] = row.write.value as never;
    else if (row.write) {
      profile.customFields = {
        ...(profile.customFields ?? lead.customFields),
        [row.write.customField]: row.write.value,
      };
    }
  }

  const finished = state === 'completed' || state === 'declined';
  const next: LeadRow = {
    ...lead,
    ...profile,
    score,
    fitScore,
    engagementScore,
    classification,
    state,
    snapshot: storeSnapshot(t.actor),
    lastSeq: seq,
    version: t.isNew ? lead.version : lead.version + 1,
    humanHelp: snapshot.context.humanHelp,
    updatedAt: at,
    lastActivityAt: t.visitorActivity ? at : lead.lastActivityAt,
    completedAt: lead.completedAt ?? (finished ? at : null),
    qualifiedAt: lead.qualifiedAt ?? (classification === 'SQL' ? at : null),
  };
  const fired: Trigger[] = ledger.flatMap((e) => (TRIGGER_OF[e.behavior] ? [TRIGGER_OF[e.behavior]!] : []));
  if (!lead.qualifiedAt && next.qualifiedAt) fired.push('sql');
  if (!lead.humanHelp && next.humanHelp) fired.push('human_help');
  if (state === 'abandoned' && lead.state !== 'abandoned' && (next.email || next.phone))
    fired.push('abandoned_with_contact');
  if (returningLead(lead, next, t.isNew)) fired.push('returning_lead');
  return {
    unit: { lead: next, expectedVersion: t.isNew ? null : lead.version, events, ledger, answers },
    outcome,
    prompts,
    ledger,
    triggers: fired,
  };
}

function answerRow(
  workflow: Workflow,
  fact: Extract<BehaviorFact, { behavior: 'answered_question' }> & { at: number },
  entries: { evidence: Record<string, unknown>; points: number }[],
  clientTimeTaken: number | null,
) {
  const question = workflow.questions.find((q) => q.id === fact.questionId);
  if (!question) return null;
  const raw = { optionIds: fact.optionIds, ...(fact.text === null ? {} : { text: fact.text }) };
  const points = entries
    .filter((e) => e.evidence.questionId === fact.questionId)
    .reduce((s, e) => s + e.points, 0);
  const answer: AnswerRow = {
    questionId: question.id,
    questionText: question.text,
    answer: answerText(question, raw),
    optionIds: fact.optionIds,
    latencyMs: fact.latencyMs,
    clientTimeTaken,
    points,
    answeredAt: new Date(fact.at),
  };
  return { answer, write: fieldWrite(question, fact) };
}
