import type { Workflow } from './schema.js';

/** What a session's experiment variants change in what the bot says. */
export interface Presentation {
  greetingText?: string;
  /** CTA ids in display order. */
  ctaOrder?: string[];
  /** CTA id → label. */
  ctaLabels?: Record<string, string>;
}

/** The presentation a session's variants call for (question order is applied at session start). */
export function presentationOf(workflow: Workflow, variants: Record<string, string>): Presentation {
  const out: Presentation = {};
  for (const experiment of workflow.experiments) {
    const config = experiment.variants.find((v) => v.id === variants[experiment.name])?.config;
    if (!config) continue;
    if (experiment.kind === 'greeting_message' && typeof config.text === 'string')
      out.greetingText = config.text;
    if (experiment.kind === 'cta_presentation') {
      if (Array.isArray(config.order))
        out.ctaOrder = config.order.filter((id): id is string => typeof id === 'string');
      if (config.labels && typeof config.labels === 'object')
        out.ctaLabels = config.labels as Record<string, string>;
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
