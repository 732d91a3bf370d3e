import { pickText, workflowIn } from './locales.js';
import type { Workflow } from './schema.js';

/** What a session's experiment variants change in what the bot says. */
export interface Presentation {
  greetingText?: string;
  /** CTA ids in display order. */
  ctaOrder?: string[];
  /** CTA id → label. */
  ctaLabels?: Record<string, string>;
}

/** A config text: a string, or one per locale (checked at start-up like the workflow's own texts). */
const isText = (v: unknown): v is string | Record<string, string> =>
  typeof v === 'string' ||
  (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string'));

/**
 * The presentation a session's variants call for (question order is applied at session start), with
 * its texts in `locale` (the workflow's default when none).
 */
export function presentationOf(
  workflow: Workflow,
  variants: Record<string, string>,
  locale?: string | null,
): Presentation {
  const out: Presentation = {};
  const main = workflow.locales.default;
  // The experiments as the session's language has them (a hand-built workflow keeps its maps).
  const { experiments } = workflowIn(workflow, locale);
  const say = (v: string | Record<string, string>) => pickText(v, locale ?? main, main);
  for (const experiment of experiments) {
    const config = experiment.variants.find((v) => v.id === variants[experiment.name])?.config;
    if (!config) continue;
    if (experiment.kind === 'greeting_message' && isText(config.text)) out.greetingText = say(config.text);
    if (experiment.kind === 'cta_presentation') {
      if (Array.isArray(config.order))
        out.ctaOrder = config.order.filter((id): id is string => typeof id === 'string');
      if (config.labels && typeof config.labels === 'object')
        out.ctaLabels = Object.fromEntries(
          Object.entries(config.labels).flatMap(([id, v]) => (isText(v) ? [[id, say(v)]] : [])),
        );
    }
  }
  return out;
}

/** The CTA options as this session sees them: its order, its labels. */
export function ctaOptionsFor(
  workflow: Workflow,
  presentation: Presentation,
): { id: string; label: string; description?: string }[] {
  const options = workflow.cta.options.map((c) => ({
    id: c.id,
    label: presentation.ctaLabels?.[c.id] ?? c.title,
    // The widget shows a CTA as a card: its title and this line under it.
    ...(c.description ? { description: c.description } : {}),
  }));
  const order = presentation.ctaOrder;
  if (!order) return options;
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return options.sort((a, b) => rank(a.id) - rank(b.id));
}
