/**
 * Types of the conversation machine. This folder imports nothing from `src/`: the flow it walks is
 * described here structurally, and the workflow of `src/workflow` satisfies it.
 */

/** The part of a workflow that decides where a conversation goes. */
export interface ConversationFlow {
  greeting: {
    questionId: number;
    options: ReadonlyArray<{ id: string; next: 'questions' | 'about' | 'declined' }>;
  };
  questions: ReadonlyArray<{
    id: number;
    /** Choice questions are answered with option ids; every other kind with text (its format is
     * checked and normalised before the event reaches the machine). */
    type: 'single_choice' | 'multi_choice' | 'text' | 'number' | 'email' | 'phone' | 'date';
    /** `next`: picking the option takes the visitor on to that later question, or to the contact form. */
    options: ReadonlyArray<{ id: string; next?: number | 'contact' | undefined }>;
    /** A question that is not required may be skipped. */
    required: boolean;
    /** The question is put only when this holds for the options picked earlier on the path. */
    when?: BranchCondition | undefined;
  }>;
  /** The contact form, which may always be skipped. */
  contact: { questionId: number };
  cta: { options: ReadonlyArray<{ id: string; action: 'complete' | 'restart' | 'human_help' }> };
  products: ReadonlyArray<{ id: string }>;
}

/**
 * A `when` condition: on the option ids picked at one earlier question (`anyOf`, `allOf`, `noneOf`;
 * a question off the path or not answered picked none), or several combined.
 */
export type BranchCondition =
  | {
      question: number;
      anyOf?: string[] | undefined;
      allOf?: string[] | undefined;
      noneOf?: string[] | undefined;
    }
  | { all: BranchCondition[] }
  | { any: BranchCondition[] }
  | { not: BranchCondition };

/** Per-session input: the order of the profile questions (experiments may vary it) and the start time. */
export interface ConversationInput {
  questionOrder: readonly number[];
  startedAt: number;
}

export type Step =
  | 'greeting'
  | 'about'
  | 'questions'
  | 'contact'
  | 'cta'
  | 'completed'
  | 'declined'
  | 'abandoned';

export type VisitorAction = 'clicked_product' | 'clicked_demo' | 'clicked_pricing' | 'cta_clicked';

/** Every event carries its own time (ms since the epoch); the machine never reads a clock. */
export type ConversationEvent =
  | { type: 'visitor.greeting'; at: number; optionId: string }
  | { type: 'visitor.answer'; at: number; questionId: number; optionIds?: string[]; text?: string }
  | { type: 'visitor.contact'; at: number; hasEmail?: boolean; hasPhone?: boolean; skip?: boolean }
  | { type: 'visitor.action'; at: number; action: VisitorAction; targetId?: string }
  /** An optional question (or the contact form) passed over without an answer. */
  | { type: 'visitor.skip'; at: number; questionId: number }
  /** The visitor says they are leaving (closing the widget or the page): abandoned, as if gone idle. */
  | { type: 'visitor.exit'; at: number }
  | { type: 'visitor.cta'; at: number; ctaId: string }
  | { type: 'session.idle'; at: number }
  | { type: 'agent.takeover'; at: number; agentId: string }
  | { type: 'agent.release'; at: number };

export type BehaviorFact =
  | { behavior: 'session_opened' | 'replied_to_greeting' | 'answered_all_questions' | 'early_dropout' }
  | { behavior: 'shared_contact'; email: boolean; phone: boolean }
  | { behavior: 'question_skipped'; questionId: number }
  | {
      behavior: 'answered_question';
      questionId: number;
      optionIds: string[];
      text: string | null;
      /** Server-measured time from the question being put (or the previous event) to the answer. */
      latencyMs: number;
    }
  | { behavior: 'clicked_product' | 'clicked_demo' | 'clicked_pricing' | 'cta_clicked'; targetId?: string };

export type BehaviorName = BehaviorFact['behavior'];

/** What the machine emits: scored facts and the bot's prompts, as data. */
export type ConversationEmitted =
  | ({ type: 'behavior'; at: number } & BehaviorFact)
  | { type: 'prompt'; at: number; step: Exclude<Step, 'abandoned'>; questionId?: number };

export interface ConversationContext {
  questionOrder: number[];
  /** Questions answered in the current round (a restart clears it). */
  answered: number[];
  /** Option ids picked per question (id as key) in the current round, as last answered: the path follows them. */
  picks: Record<string, string[]>;
  /** Optional questions skipped in the current round and not answered since (a restart clears it). */
  skipped: number[];
  /** True once the questions were all answered or skipped, in some round. */
  completedQuestions: boolean;
  current: number | null;
  /** When each question was last put to the visitor. */
  askedAt: Record<string, number>;
  lastEventAt: number;
  humanHelp: boolean;
  handoff: { agentId: string; at: number } | null;
  /** Set while a visitor back from idle re-enters the step it left; cleared by the next visitor event. */
  resuming: boolean;
}
