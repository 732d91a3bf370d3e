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

/** Parses with a schema or throws `validation_failed`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, name?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, name);
  return parsed.data;
}
