import type { Question } from '../workflow/schema.js';

/** The ledger behaviour of an answer's value; it alone makes up a lead's *fit*. */
export const ANSWER_VALUE = 'answer_value';

/** An award for what an answer says, with the evidence that explains it on its own ledger line. */
export interface AnswerValue {
  points: number;
  onceKey: string;
  evidence: Record<string, unknown>;
}

const compiled = new Map<string, RegExp>();

/** A rule's pattern as a case-insensitive expression; the schema has checked that it compiles. */
export function rulePattern(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'iu');
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * What an answer to `question` is worth: one award per picked option that carries points (a
 * multi-choice pick of two valued options is two lines, each naming its option), or, for a text-like
 * question, one award for the first rule whose pattern matches. Options and rules worth 0 award nothing.
 */
export function answerValues(
  question: Pick<Question, 'id' | 'options' | 'rules'>,
  answer: { optionIds: readonly string[]; text: string | null },
): AnswerValue[] {
  const q = question.id;
  if (answer.optionIds.length > 0) {
    return answer.optionIds.flatMap((optionId) => {
      const option = question.options.find((o) => o.id === optionId);
      if (!option?.points) return [];
      return [
        {
          points: option.points,
          onceKey: `${ANSWER_VALUE}:${q}:${optionId}`,
          evidence: { questionId: q, optionId, label: option.label },
        },
      ];
    });
  }
  const text = answer.text?.trim() ?? '';
  if (!text || !question.rules) return [];
  const rule = question.rules.find((r) => rulePattern(r.pattern).test(text));
  if (!rule?.points) return [];
  return [
    {
      points: rule.points,
      onceKey: `${ANSWER_VALUE}:${q}`,
      evidence: { questionId: q, pattern: rule.pattern },
    },
  ];
}

/** A lead's score split: fit (answer values) and engagement (every other behaviour). */
export interface ScoreParts {
  fit: number;
  engagement: number;
}

/** The fit and engagement of ledger rows; their sum is the rows' total. */
export function scoreParts(rows: readonly { behavior: string; points: number }[]): ScoreParts {
  let fit = 0;
  let engagement = 0;
  for (const r of rows) {
    if (r.behavior === ANSWER_VALUE) fit += r.points;
    else engagement += r.points;
  }
  return { fit, engagement };
}
