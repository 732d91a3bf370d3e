import type { ConversationEmitted } from '../../machines/types.js';
import { isChoiceType } from './field-kinds.js';
import { matchLocale, workflowIn } from './locales.js';
import type { Workflow } from './schema.js';
import { ctaOptionsFor, type Presentation } from './variants.js';

/** What the widget offers for a prompt: buttons, a checklist, a text field (of the question's kind), a form. */
export type PromptInput =
  | 'choice'
  | 'multi_choice'
  | 'text'
  | 'number'
  | 'email'
  | 'phone'
  | 'date'
  | 'contact'
  | 'cta'
  /** After hours: a time to be called back, an offered slot (`options`, ids are ISO times) or typed. */
  | 'callback'
  | 'none';

/** A bot message as the widget shows it. */
export interface BotPrompt {
  step: string;
  questionId?: number;
  text: string;
  input: PromptInput;
  options?: { id: string; label: string }[];
  /** The bounds of a number or date question (the widget's field takes them; the server checks them). */
  bounds?: { min?: number | string; max?: number | string; integer?: boolean };
  /** The language it is written in (one of the workflow's locales). */
  locale?: string;
}

type PromptFact = Extract<ConversationEmitted, { type: 'prompt' }>;

/**
 * Renders a prompt the machine emitted into the words and options of the workflow, in `locale` (along
 * its fallback chain; the workflow's default when none). `presentation` must be for the same locale.
 */
export function renderPrompt(
  source: Workflow,
  prompt: Pick<PromptFact, 'step' | 'questionId'>,
  presentation: Presentation = {},
  locale?: string | null,
): BotPrompt {
  const rendered = render(workflowIn(source, locale), prompt, presentation);
  if (!locale) return rendered;
  return { ...rendered, locale: matchLocale(source.locales, locale) ?? source.locales.default };
}

function render(
  workflow: Workflow,
  prompt: Pick<PromptFact, 'step' | 'questionId'>,
  presentation: Presentation,
): BotPrompt {
  switch (prompt.step) {
    case 'greeting':
      return {
        step: 'greeting',
        questionId: workflow.greeting.questionId,
        text: presentation.greetingText ?? workflow.greeting.text,
        input: 'choice',
        options: workflow.greeting.options.map(({ id, label }) => ({ id, label })),
      };
    case 'about':
      return { step: 'about', text: workflow.greeting.aboutText, input: 'none' };
    case 'questions': {
      const q = workflow.questions.find((x) => x.id === prompt.questionId);
      if (!q) throw new Error(`prompt for unknown question ${prompt.questionId}`);
      const input: PromptInput = q.type === 'single_choice' ? 'choice' : q.type;
      return {
        step: q.step,
        questionId: q.id,
        text: q.text,
        input,
        ...(isChoiceType(q.type) ? { options: q.options.map(({ id, label }) => ({ id, label })) } : {}),
        ...boundsOf(q),
      };
    }
    case 'contact':
      return {
        step: 'contact',
        questionId: workflow.contact.questionId,
        text: workflow.contact.text,
        input: 'contact',
        options: [{ id: 'skip', label: workflow.contact.skipLabel }],
      };
    case 'cta':
      return {
        step: 'cta',
        text: workflow.cta.text,
        input: 'cta',
        options: ctaOptionsFor(workflow, presentation),
      };
    case 'completed':
      return { step: 'completed', text: workflow.completedText, input: 'none' };
    case 'declined':
      return { step: 'declined', text: workflow.greeting.declineText, input: 'none' };
  }
}

function boundsOf(q: Workflow['questions'][number]): Pick<BotPrompt, 'bounds'> {
  const bounds = Object.fromEntries(
    (['min', 'max', 'integer'] as const).filter((k) => q[k] !== undefined).map((k) => [k, q[k]]),
  );
  return Object.keys(bounds).length > 0 ? { bounds } : {};
}
