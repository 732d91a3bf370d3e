import type { ConversationContext, ConversationFlow } from './types.js';

/** Why an answer does not fit its question, or null when it does. Shared by the machine and the engine. */
export type AnswerProblem = 'unknown_question' | 'invalid_option' | 'one_option_expected' | 'text_expected';

export function checkAnswer(
  flow: ConversationFlow,
  context: Pick<ConversationContext, 'questionOrder'>,
  answer: { questionId: number; optionIds?: readonly string[]; text?: string },
): AnswerProblem | null {
  const question = flow.questions.find((q) => q.id === answer.questionId);
  if (!question || !context.questionOrder.includes(question.id)) return 'unknown_question';
  if (question.type !== 'single_choice' && question.type !== 'multi_choice') {
    return answer.text !== undefined && answer.text.trim().length > 0 ? null : 'text_expected';
  }
  const ids = answer.optionIds ?? [];
  if (ids.length === 0 || ids.some((id) => !question.options.some((o) => o.id === id)))
    return 'invalid_option';
  if (question.type === 'single_choice' && ids.length !== 1) return 'one_option_expected';
  return null;
}

/** The first question in the session's order neither answered nor skipped in this round, or null. */
export function nextUnanswered(
  context: Pick<ConversationContext, 'questionOrder' | 'answered' | 'skipped'>,
): number | null {
  return (
    context.questionOrder.find((id) => !context.answered.includes(id) && !context.skipped.includes(id)) ??
    null
  );
}

/** Whether a profile question may be skipped now: asked in this session, optional, and still open. */
export function canSkipQuestion(
  flow: ConversationFlow,
  context: Pick<ConversationContext, 'questionOrder' | 'answered' | 'skipped'>,
  questionId: number,
): boolean {
  const question = flow.questions.find((q) => q.id === questionId);
  return (
    question !== undefined &&
    !question.required &&
    context.questionOrder.includes(questionId) &&
    !context.answered.includes(questionId) &&
    !context.skipped.includes(questionId)
  );
}
