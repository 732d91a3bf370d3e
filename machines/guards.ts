import { pathIn } from './path.js';
import type { ConversationContext, ConversationFlow } from './types.js';

/** Why an answer does not fit its question, or null when it does. Shared by the machine and the engine. */
export type AnswerProblem =
  | 'unknown_question'
  | 'off_path'
  | 'invalid_option'
  | 'one_option_expected'
  | 'text_expected';

type PathContext = Pick<ConversationContext, 'questionOrder' | 'picks'>;
type RoundContext = Pick<ConversationContext, 'questionOrder' | 'picks' | 'answered' | 'skipped'>;

export function checkAnswer(
  flow: ConversationFlow,
  context: PathContext,
  answer: { questionId: number; optionIds?: readonly string[]; text?: string },
): AnswerProblem | null {
  const question = flow.questions.find((q) => q.id === answer.questionId);
  if (!question || !context.questionOrder.includes(question.id)) return 'unknown_question';
  // A branched workflow puts some questions to some visitors only.
  if (!pathIn(flow, context).includes(question.id)) return 'off_path';
  if (question.type !== 'single_choice' && question.type !== 'multi_choice') {
    return answer.text !== undefined && answer.text.trim().length > 0 ? null : 'text_expected';
  }
  const ids = answer.optionIds ?? [];
  if (ids.length === 0 || ids.some((id) => !question.options.some((o) => o.id === id)))
    return 'invalid_option';
  if (question.type === 'single_choice' && ids.length !== 1) return 'one_option_expected';
  return null;
}

/** The context with an answer's picks in it: the path then follows the new answer. */
export function withPicks<C extends PathContext>(
  context: C,
  answer: { questionId: number; optionIds?: readonly string[] },
): C {
  return { ...context, picks: { ...context.picks, [answer.questionId]: [...(answer.optionIds ?? [])] } };
}

/** Whether an answer leaves the visitor's path as it is (the same questions, in the same order). */
export function keepsPath(
  flow: ConversationFlow,
  context: PathContext,
  answer: { questionId: number; optionIds?: readonly string[] },
): boolean {
  const before = pathIn(flow, context);
  const after = pathIn(flow, withPicks(context, answer));
  return before.length === after.length && before.every((id, i) => after[i] === id);
}

/** The first question on the visitor's path neither answered nor skipped in this round, or null. */
export function nextUnanswered(flow: ConversationFlow, context: RoundContext): number | null {
  return (
    pathIn(flow, context).find((id) => !context.answered.includes(id) && !context.skipped.includes(id)) ??
    null
  );
}

/** Whether every question on the visitor's path is answered in this round. */
export function answeredPath(flow: ConversationFlow, context: RoundContext): boolean {
  return pathIn(flow, context).every((id) => context.answered.includes(id));
}

/** Whether a profile question may be skipped now: on the visitor's path, optional, and still open. */
export function canSkipQuestion(flow: ConversationFlow, context: RoundContext, questionId: number): boolean {
  const question = flow.questions.find((q) => q.id === questionId);
  return (
    question !== undefined &&
    !question.required &&
    pathIn(flow, context).includes(questionId) &&
    !context.answered.includes(questionId) &&
    !context.skipped.includes(questionId)
  );
}
