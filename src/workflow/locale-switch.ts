import { AppError } from '../errors.js';
import { matchLocale } from './locales.js';
import type { Workflow } from './schema.js';

/**
 * The workflow's locale a tag asks for explicitly, matched along its fallback chain (`ta-IN` → `ta`); one
 * the workflow does not speak is refused with `unsupported_locale`, naming the locales it does speak, so
 * the visitor keeps the language they have rather than silently getting the default one.
 */
export function supportedLocale(workflow: Workflow, tag: string): string {
  const locale = matchLocale(workflow.locales, tag);
  if (!locale) {
    throw new AppError('unsupported_locale', `This chat is not available in "${tag}".`, {
      field: 'locale',
      available: workflow.locales.available,
    });
  }
  return locale;
}

/** A visitor's switch of language: the pending prompt is put again in it. */
export function switchLocale(workflow: Workflow, tag: string) {
  const locale = supportedLocale(workflow, tag);
  return { events: [], patch: { locale }, note: { locale }, repeatPrompt: true as const };
}
