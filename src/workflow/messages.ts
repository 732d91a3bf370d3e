import { AppError } from '../errors.js';
import { matchLocale, workflowIn } from './locales.js';
import type { Workflow } from './schema.js';

/**
 * The words of a refusal the visitor sees (the widget shows an ack's message), in the visitor's
 * language: the workflow's `messages`. In the workflow's default language the server's own words are
 * kept, as they name what was refused (`"Spaceship" is not one of the options.`); codes and details
 * never change with the language.
 */
function visitorMessage(workflow: Workflow, locale: string | null | undefined, err: AppError): string | null {
  const match = matchLocale(workflow.locales, locale);
  if (!match || match === workflow.locales.default) return null;
  const { messages } = workflowIn(workflow, match);
  const details = err.details as { field?: unknown } | undefined;
  if (err.code === 'invalid_option') return messages.invalidOption ?? null;
  if (err.code === 'validation_failed' && details?.field === 'text') return messages.textExpected ?? null;
  if (err.code === 'rate_limited') return messages.rateLimited ?? null;
  return null;
}

/** The widget's own words, in each language the workflow speaks (those the workflow gives). */
export type WidgetLabels = Partial<Record<'send' | 'typeAnswer' | 'name' | 'phone' | 'email', string>>;

export function widgetLabels(workflow: Workflow): Record<string, WidgetLabels> {
  const keys = ['send', 'typeAnswer', 'name', 'phone', 'email'] as const;
  return Object.fromEntries(
    workflow.locales.available.map((locale) => {
      const { messages } = workflowIn(workflow, locale);
      return [locale, Object.fromEntries(keys.flatMap((k) => (messages[k] ? [[k, messages[k]]] : [])))];
    }),
  );
}

/** `err` in the visitor's language when the workflow words it; any other error as it is. */
export function inVisitorLanguage(
  workflow: Workflow,
  locale: string | null | undefined,
  err: unknown,
): unknown {
  if (!(err instanceof AppError)) return err;
  const message = visitorMessage(workflow, locale, err);
  return message === null ? err : new AppError(err.code, message, err.details, { cause: err.cause });
}

/** The server's words for the after-hours callback when a workflow gives none. */
const CALLBACK_WORDS = {
  callbackAsk: 'Nobody from our team can answer right now; we are back {back}. When should we call you?',
  callbackConfirm: 'Thank you! We will call you {time}.',
  callbackOutsideHours: 'Please pick a time while our team is open, from {back}.',
} as const;

/**
 * One of the bot's after-hours callback texts in `locale` (the workflow's `messages`, else the server's
 * words), with `{back}` and `{time}` filled in.
 */
export function callbackText(
  workflow: Workflow,
  locale: string | null | undefined,
  key: keyof typeof CALLBACK_WORDS,
  values: { back?: string; time?: string },
): string {
  const words = workflowIn(workflow, locale).messages[key] ?? CALLBACK_WORDS[key];
  return words.replace(/\{(back|time)\}/g, (_, k: 'back' | 'time') => values[k] ?? '');
}
