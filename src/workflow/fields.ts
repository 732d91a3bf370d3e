import { normalizeEmail, normalizePhone } from '../conversation/contact.js';
import { AppError } from '../errors.js';
import { isIsoDate, type ProfileField, type TextEntryType } from './field-kinds.js';
import type { Question, Workflow } from './schema.js';

/**
 * Custom fields: a question with `field` stores its answer in the lead's `custom_fields`, typed by the
 * question's kind. Typed answers (number, e-mail, phone, date) are checked and normalised here, before
 * the answer becomes a machine event, so the event log holds the normal form and a replay reads it back.
 */

/** A custom field's value as stored: a number, text (e-mail, E.164 phone, yyyy-mm-dd day, option id), or option ids. */
export type CustomFieldValue = string | number | string[];
export type CustomFieldValues = Record<string, CustomFieldValue>;

/** The type of a custom field, as exports and the docs name it. */
export type CustomFieldType = 'text' | 'number' | 'email' | 'phone' | 'date' | 'choice' | 'multi_choice';

export interface CustomField {
  name: string;
  type: CustomFieldType;
  questionId: number;
}

const TYPE_OF: Record<Question['type'], CustomFieldType> = {
  single_choice: 'choice',
  multi_choice: 'multi_choice',
  text: 'text',
  number: 'number',
  email: 'email',
  phone: 'phone',
  date: 'date',
};

/** The custom fields a workflow writes, in question order. */
export function customFieldsOf(workflow: Pick<Workflow, 'questions'>): CustomField[] {
  return workflow.questions.flatMap((q) =>
    q.field === undefined ? [] : [{ name: q.field, type: TYPE_OF[q.type], questionId: q.id }],
  );
}

/** The name a question's answer is filed under, for messages: its field, else its step. */
const fieldName = (q: Question) => q.field ?? q.profileField ?? q.step;

/** The longest number text taken (digits, separators, sign and point). */
const MAX_NUMBER_LENGTH = 40;
/** Digits, optionally grouped with commas (1,200,000 or the Indian 12,00,000), optionally a decimal part. */
const NUMBER = /^[+-]?(?:\d+|\d{1,3}(?:,\d{2,3})*,\d{3})(?:\.\d+)?$/;

function expectedNumber(q: Question): string {
  const kind = q.integer ? 'a whole number' : 'a number';
  if (typeof q.min === 'number' && typeof q.max === 'number') return `${kind} from ${q.min} to ${q.max}`;
  if (typeof q.min === 'number') return `${kind} of at least ${q.min}`;
  if (typeof q.max === 'number') return `${kind} of at most ${q.max}`;
  return kind;
}

function expectedDate(q: Question): string {
  const kind = 'a date written yyyy-mm-dd';
  if (typeof q.min === 'string' && typeof q.max === 'string') return `${kind}, from ${q.min} to ${q.max}`;
  if (typeof q.min === 'string') return `${kind}, on or after ${q.min}`;
  if (typeof q.max === 'string') return `${kind}, on or before ${q.max}`;
  return kind;
}

const EXPECTED: Record<TextEntryType, (q: Question) => string> = {
  text: () => 'a text answer',
  number: expectedNumber,
  email: () => 'an e-mail address',
  phone: () => 'a phone number',
  date: expectedDate,
};

function normalNumber(q: Question, text: string): string | null {
  if (text.length > MAX_NUMBER_LENGTH || !NUMBER.test(text)) return null;
  const n = Number(text.replaceAll(',', ''));
  if (!Number.isFinite(n)) return null;
  if (q.integer && !Number.isSafeInteger(n)) return null;
  if (typeof q.min === 'number' && n < q.min) return null;
  if (typeof q.max === 'number' && n > q.max) return null;
  return String(n);
}

function normalDate(q: Question, text: string): string | null {
  if (!isIsoDate(text)) return null;
  // yyyy-mm-dd compares as text in calendar order.
  if (typeof q.min === 'string' && text < q.min) return null;
  if (typeof q.max === 'string' && text > q.max) return null;
  return text;
}

/**
 * The normal form of a typed answer to a text-entry question: a number without grouping (`1200`), an
 * e-mail in lower case, a phone in E.164, a real day as yyyy-mm-dd, text trimmed. Throws
 * `validation_failed` naming the field and what was expected (`details: { field, questionId, expected }`).
 */
export function normalizeEntry(
  question: Question & { type: TextEntryType },
  raw: string | undefined,
  phoneRegion: string,
): string {
  const text = raw?.trim() ?? '';
  const normal =
    text.length === 0
      ? null
      : question.type === 'number'
        ? normalNumber(question, text)
        : question.type === 'email'
          ? normalizeEmail(text)
          : question.type === 'phone'
            ? normalizePhone(text, phoneRegion)
            : question.type === 'date'
              ? normalDate(question, text)
              : text;
  if (normal !== null) return normal;
  const field = fieldName(question);
  const expected = EXPECTED[question.type](question);
  throw new AppError('validation_failed', `${field}: ${expected} was expected.`, {
    field,
    questionId: question.id,
    expected,
  });
}

/** Where an answer lands: a seed profile field (as text or labels, as the seed stores it), or a custom field, typed. */
export type FieldWrite =
  | { profileField: ProfileField; value: string | string[] }
  | { customField: string; value: CustomFieldValue };

/**
 * The value an answer writes, or null when its question writes no field. Profile fields keep the
 * seed's form (labels for choices); a custom field stores option ids for choices (the same in every
 * language), a number for `number` and the normal text otherwise.
 */
export function fieldWrite(
  question: Question,
  answer: { optionIds: readonly string[]; text: string | null },
): FieldWrite | null {
  const text = answer.text ?? '';
  if (question.profileField !== undefined) {
    const labels = answer.optionIds.map((id) => question.options.find((o) => o.id === id)?.label ?? id);
    const value =
      question.type === 'multi_choice'
        ? labels
        : question.type === 'single_choice'
          ? (labels[0] ?? '')
          : text;
    return { profileField: question.profileField, value };
  }
  if (question.field === undefined) return null;
  const value: CustomFieldValue =
    question.type === 'multi_choice'
      ? [...answer.optionIds]
      : question.type === 'single_choice'
        ? (answer.optionIds[0] ?? '')
        : question.type === 'number'
          ? Number(text)
          : text;
  return { customField: question.field, value };
}
