import { AppError } from '../errors.js';
import { isChoiceType, type TextEntryType } from './field-kinds.js';
import { normalizeEntry } from './fields.js';
import type { Question } from './schema.js';

/** A visitor's pick, by option ids or by labels typed as text. */
export interface RawChoice {
  optionIds?: readonly string[];
  text?: string;
}

type Option = { id: string; label: string };

/**
 * Resolves a pick against a list of options: ids, or labels (case-insensitive; several labels
 * separated by commas when `multiple`). Throws `invalid_option` listing the options.
 */
export function resolveOptions(options: readonly Option[], raw: RawChoice, multiple: boolean): string[] {
  const wanted =
    raw.optionIds && raw.optionIds.length > 0
      ? [...raw.optionIds]
      : (raw.text ?? '')
          .split(multiple ? ',' : /$^/)
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  const ids: string[] = [];
  for (const w of wanted) {
    const key = w.toLowerCase();
    const option = options.find((o) => o.id === w || o.label.toLowerCase() === key);
    if (!option) throw invalidOption(options, w);
    if (!ids.includes(option.id)) ids.push(option.id);
  }
  if (ids.length === 0 || (!multiple && ids.length > 1)) throw invalidOption(options, wanted.join(', '));
  return ids;
}

function invalidOption(options: readonly Option[], given: string): AppError {
  return new AppError(
    'invalid_option',
    given ? `"${given}" is not one of the options.` : 'Pick one of the options.',
    { options: options.map(({ id, label }) => ({ id, label })) },
  );
}

/**
 * The answer to a profile question as the machine takes it: option ids for choices, text otherwise —
 * a typed answer (number, e-mail, phone, date) in its normal form, or `validation_failed` naming the field
 * and what was expected. `phoneRegion` reads a phone number written without a country code.
 */
export function resolveAnswer(
  question: Question,
  raw: RawChoice,
  phoneRegion = 'IN',
): { optionIds?: string[]; text?: string } {
  if (question.type === 'text') {
    const text = raw.text?.trim() ?? '';
    if (!text)
      throw new AppError('validation_failed', 'This question needs a text answer.', { field: 'text' });
    return { text };
  }
  if (isChoiceType(question.type))
    return { optionIds: resolveOptions(question.options, raw, question.type === 'multi_choice') };
  return { text: normalizeEntry(question as Question & { type: TextEntryType }, raw.text, phoneRegion) };
}

/** The stored, human-readable form of an answer. */
export function answerText(
  question: Question,
  answer: { optionIds?: readonly string[]; text?: string },
): string {
  if (!isChoiceType(question.type)) return answer.text ?? '';
  return (answer.optionIds ?? [])
    .map((id) => question.options.find((o) => o.id === id)?.label ?? id)
    .join(', ');
}
