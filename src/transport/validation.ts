import type { z } from 'zod';
import { AppError } from '../errors.js';

/** A zod failure as our `validation_failed` error, naming each bad field (the same shape REST gives). */
export function validationError(error: z.ZodError, name?: string): AppError {
  const issues = error.issues.map((i) => ({
    path: [name, ...i.path].filter((p) => p !== undefined).join('.'),
    message: i.message,
  }));
  const where = issues.map((i) => `${i.path || '(payload)'}: ${i.message}`).join('; ');
  return new AppError('validation_failed', `The request is not valid: ${where}`, { issues });
}

/** A UTF-16 code unit with no partner: JSON may spell it (`"\ud800"`), UTF-8 and PostgreSQL cannot. */
const loneSurrogate = /\p{Cs}/u;

/** Whether every string in a parsed JSON value, keys included, is Unicode text (walked without recursion). */
export function isWellFormedText(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (loneSurrogate.test(v)) return false;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (loneSurrogate.test(k)) return false;
        stack.push(item);
      }
    }
  }
  return true;
}

/** Text that could never be stored as it was sent: refused as unreadable instead of mangled or failing later. */
export const illFormedText = () =>
  new AppError('malformed_request', 'The request has text that is not valid Unicode (a lone surrogate).');

/** Parses with a schema or throws `validation_failed` (`malformed_request` for text that is not Unicode). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, name?: string): z.output<S> {
  if (!isWellFormedText(value)) throw illFormedText();
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, name);
  return parsed.data;
}
