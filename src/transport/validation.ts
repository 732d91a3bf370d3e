import type { z } from 'zod';
import { AppError } from '../errors.js';

/** A zod failure as our `validation_failed` error, naming each bad field (the same shape REST gives). */
export function validationError(error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const where = issues.map((i) => `${i.path || '(payload)'}: ${i.message}`).join('; ');
  return new AppError('validation_failed', `The request is not valid: ${where}`, { issues });
}

/** Parses with a schema or throws `validation_failed`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}
