/**
 * The transcript summary an `abandoned_with_contact` webhook carries, so sales can follow up knowing
 * what the visitor said: each question answered, in order, with the answer as the visitor gave it
 * (data in JSON, never markup), and where the conversation stood when it was left.
 */
export interface TranscriptSummary {
  answered: number;
  answers: { question: string; answer: string; answered_at: string }[];
  last_state: string;
}

/** The triggers whose messages carry the summary. */
export const TRANSCRIPT_TRIGGERS: ReadonlySet<string> = new Set(['abandoned_with_contact']);

/** The summary from the lead's stored answers (oldest first) and its state. */
export function transcriptSummary(
  answers: readonly { questionText: string; answer: string; answeredAt: Date }[],
  state: string,
): TranscriptSummary {
  return {
    answered: answers.length,
    answers: answers.map((a) => ({
      question: a.questionText,
      answer: a.answer,
      answered_at: a.answeredAt.toISOString(),
    })),
    last_state: state,
  };
}
