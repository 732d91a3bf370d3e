import { pathIn } from '../../machines/path.js';
import type { ConversationEmitted } from '../../machines/types.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { LeadRow } from '../persistence/rows.js';
import type { SessionStore } from '../persistence/session-store.js';
import { type BotPrompt, renderPrompt } from '../workflow/prompts.js';
import type { Workflow } from '../workflow/schema.js';
import { presentationOf } from '../workflow/variants.js';
import { isFinished, type LiveActor, pendingStep } from './actor.js';
import { read } from './live-sessions.js';
import type { PromptMessage } from './transition.js';

type PromptFact = Extract<ConversationEmitted, { type: 'prompt' }>;

/** The prompt the bot waits on, as the machine would emit it. */
function pendingFact(workflow: Workflow, live: LiveActor, at: number): PromptFact {
  const step = pendingStep(live.actor);
  const context = live.actor.getSnapshot().context;
  if (step === 'questions' || step === 'about')
    return {
      type: 'prompt',
      at,
      step: 'questions',
      questionId: context.current ?? pathIn(workflow, context)[0]!,
    };
  return { type: 'prompt', at, step: step === 'abandoned' ? 'greeting' : step };
}

/** The pending prompt to put again (a switch of language); none while an agent holds it or once it ended. */
export function repeatedPrompt(workflow: Workflow, lead: LeadRow, live: LiveActor, at: number): PromptFact[] {
  return lead.takenOverBy || isFinished(live.actor) ? [] : [pendingFact(workflow, live, at)];
}

/** What the bot waits for in a session, rendered with the session's variants, in its language. */
function pendingPrompt(workflow: Workflow, live: LiveActor, lead: LeadRow): BotPrompt {
  const fact = pendingFact(workflow, live, 0);
  const presentation = fact.step === 'questions' ? presentationOf(workflow, lead.variants, lead.locale) : {};
  return renderPrompt(workflow, fact, presentation, lead.locale);
}

/** The prompt the session waits on, as it was last sent (same seq), or rendered anew. */
export async function resumePrompt(
  workflow: Workflow,
  store: Pick<SessionStore, 'lastEvent'>,
  lead: LeadRow,
  live: LiveActor,
): Promise<PromptMessage> {
  const pending = pendingPrompt(workflow, live, lead);
  const last = (await read(() => store.lastEvent(lead.id, 'bot.prompt')))?.data as PromptMessage | undefined;
  const same =
    last &&
    last.step === pending.step &&
    last.questionId === pending.questionId &&
    last.locale === pending.locale;
  // After hours the ended conversation's last word is the bot's callback question (or its confirmation).
  const callback = last && isFinished(live.actor) && last.step.startsWith('callback');
  return same || callback ? last : { ...pending, seq: lead.lastSeq, id: `${lead.id}:${lead.lastSeq}` };
}

/** Refusals of a visitor event that depend on where the conversation stands. */
const STATE_REFUSALS: readonly ErrorCode[] = [
  'invalid_option',
  'invalid_state',
  'unknown_question',
  'validation_failed',
  'conflict',
];

export function isStateRefusal(err: unknown): err is AppError {
  return err instanceof AppError && STATE_REFUSALS.includes(err.code);
}

/**
 * The refusal with the prompt the session waits on in its details (`details.prompt`), so a client that
 * showed an older prompt is not left without one; as it was while an agent holds it or once it ended.
 */
export async function withPrompt(
  err: AppError,
  workflow: Workflow,
  store: Pick<SessionStore, 'lastEvent'>,
  session: { lead: LeadRow; live: LiveActor },
): Promise<AppError> {
  if (session.lead.takenOverBy || isFinished(session.live.actor)) return err;
  const prompt = await resumePrompt(workflow, store, session.lead, session.live);
  const details = typeof err.details === 'object' && err.details !== null ? err.details : {};
  return new AppError(err.code, err.message, { ...details, prompt }, { cause: err.cause });
}
