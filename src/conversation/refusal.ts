import { checkAnswer } from '../../machines/guards.js';
import { pathIn } from '../../machines/path.js';
import type { ConversationContext, ConversationEvent, Step } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { Workflow } from '../workflow/schema.js';

/**
 * Why the machine will not take a visitor event where the conversation stands. An answer to (or a skip
 * of) a question off the visitor's path — a branched workflow puts it to other visitors only — is an
 * unknown question to this visitor; anything else does not fit the step.
 */
export function refusal(
  workflow: Workflow,
  context: ConversationContext,
  event: ConversationEvent,
  step: Step,
): AppError {
  const problem = event.type === 'visitor.answer' ? checkAnswer(workflow, context, event) : null;
  const offPath =
    problem === 'off_path' ||
    (event.type === 'visitor.skip' &&
      context.questionOrder.includes(event.questionId) &&
      !pathIn(workflow, context).includes(event.questionId));
  if (offPath && (event.type === 'visitor.answer' || event.type === 'visitor.skip')) {
    return new AppError(
      'unknown_question',
      `Question ${event.questionId} is not on this conversation's path.`,
      {
        questionId: event.questionId,
      },
    );
  }
  if (event.type === 'visitor.answer' && problem === null && (step === 'contact' || step === 'cta')) {
    return new AppError(
      'invalid_state',
      `The conversation is at ${step}: an answer may still be changed, but not to one that changes which questions are asked.`,
    );
  }
  return new AppError(
    'invalid_state',
    `The conversation is at ${step} and cannot take this ${event.type.replace('visitor.', '')}.`,
  );
}
