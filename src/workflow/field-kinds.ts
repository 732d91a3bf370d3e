import type { z } from 'zod';

/**
 * The kinds of question and the fields an answer may land in: what the workflow schema checks a
 * question's format against. Nothing here reads a workflow, so the schema can import it.
 */

/** Questions answered by picking options. */
export const CHOICE_TYPES = ['single_choice', 'multi_choice'] as const;

/** Questions answered by typing: free text, or a value of a format the server checks and normalises. */
export const TEXT_ENTRY_TYPES = ['text', 'number', 'email', 'phone', 'date'] as const;

export const QUESTION_TYPES = [...CHOICE_TYPES, ...TEXT_ENTRY_TYPES] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export type TextEntryType = (typeof TEXT_ENTRY_TYPES)[number];

export function isChoiceType(type: QuestionType): type is (typeof CHOICE_TYPES)[number] {
  return type === 'single_choice' || type === 'multi_choice';
}

/** The lead fields of the seed a question may copy its answer to (`profileField`). */
export const PROFILE_FIELDS = [
  'business_type',
  'location',
  'staff_size',
  'monthly_sales',
  'features_interested',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Names a custom field may not take: the seed's profile and contact fields, which the lead has already. */
const RESERVED_FIELD_NAMES: readonly string[] = [...PROFILE_FIELDS, 'name', 'email', 'phone'];

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar day written yyyy-mm-dd (2026-02-30 is not). */
export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The format part of a question, as the schema parses it. */
export interface QuestionFormat {
  type: QuestionType;
  options: readonly unknown[];
  profileField?: string | undefined;
  field?: string | undefined;
  min?: number | string | undefined;
  max?: number | string | undefined;
  integer?: boolean | undefined;
}

/**
 * The checks of one question's format that zod's shapes cannot say: options only on choice questions,
 * bounds of the question's own kind (numbers for `number`, days for `date`) in order, at most one of
 * `profileField` and `field`, and a custom field that does not take a name the lead already has.
 */
export function checkQuestionFormat(q: QuestionFormat, ctx: z.RefinementCtx): void {
  const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
  if (isChoiceType(q.type)) {
    if (q.options.length === 0) issue('a choice question needs options', 'options');
  } else if (q.options.length > 0) {
    issue(`a ${q.type} question takes no options (only single_choice and multi_choice do)`, 'options');
  }
  if (q.profileField !== undefined && q.field !== undefined) {
    issue('give profileField or field, not both', 'field');
  }
  if (q.field !== undefined && RESERVED_FIELD_NAMES.includes(q.field)) {
    issue(`"${q.field}" is a field of the lead already; name the custom field apart`, 'field');
  }
  if (q.integer !== undefined && q.type !== 'number')
    issue('integer applies to number questions only', 'integer');
  for (const bound of ['min', 'max'] as const) {
    const v = q[bound];
    if (v === undefined) continue;
    if (q.type === 'number') {
      if (typeof v !== 'number') issue('a number', bound);
      else if (q.integer && !Number.isInteger(v))
        issue('a whole number (the question takes integers)', bound);
    } else if (q.type === 'date') {
      if (typeof v !== 'string' || !isIsoDate(v)) issue('a date written yyyy-mm-dd', bound);
    } else issue(`${bound} applies to number and date questions only`, bound);
  }
  if (q.min !== undefined && q.max !== undefined && typeof q.min === typeof q.max && q.min > q.max) {
    issue('min must not be greater than max', 'max');
  }
}
