import type { Step } from '../../machines/types.js';
import { AppError } from '../errors.js';
import { workflowIn } from '../workflow/locales.js';
import { inVisitorLanguage } from '../workflow/messages.js';
import type { Workflow } from '../workflow/schema.js';
import { type Interpreted, interpret, type VisitorCommand } from './commands.js';

/**
 * A visitor command read in the session's language: an option typed by its label matches the label the
 * visitor was shown (`हाँ, पूछिए`), and its refusal lists the options in that language. A label in the
 * workflow's default language is still understood (the earlier service's clients send English labels).
 * Ids are the same in every language, so what the command does never depends on it.
 */
export function interpretIn(
  workflow: Workflow,
  locale: string | null | undefined,
  command: VisitorCommand,
  where: { step: Step; question: number | null; variants?: Record<string, string> },
  at: number,
  phoneRegion: string,
): Interpreted {
  const local = workflowIn(workflow, locale);
  try {
    if (local === workflow) return interpret(workflow, command, where, at, phoneRegion);
    try {
      return interpret(local, command, where, at, phoneRegion);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'invalid_option')) throw err;
      try {
        return interpret(workflow, command, where, at, phoneRegion);
      } catch {
        throw err;
      }
    }
  } catch (err) {
    // The refusal in the visitor's words (the workflow's `messages`).
    throw inVisitorLanguage(workflow, locale, err);
  }
}
