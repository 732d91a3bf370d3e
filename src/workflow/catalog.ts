import type { WorkflowInput } from './schema.js';

/**
 * A workflow's words in one more language, addressed by the ids of what they belong to (question and
 * option ids, CTA and product ids, experiment and variant names), never by position, so a translator's
 * file reads on its own and survives reordering. `withTranslations` folds catalogs into a workflow;
 * whatever a catalog leaves out is then missing, and the start-up check names it with its locale.
 */
export interface Catalog {
  greeting: { text: string; aboutText: string; declineText: string; options: Record<string, string> };
  /** By question id. */
  questions: Record<number, { text: string; options?: Record<string, string> }>;
  contact: { text: string; skipLabel: string };
  cta: { text: string; options: Record<string, { title: string; description?: string }> };
  completedText: string;
  products: Record<string, { title: string; description?: string }>;
  /** Refusals the visitor sees, and the widget's own words (see the workflow's `messages`). */
  messages?: Partial<Record<MessageKey, string>>;
  /** Experiment name → variant id → its greeting text. */
  experiments?: Record<string, Record<string, { text?: string }>>;
}

type Text = string | Record<string, string>;
type MessageKey = keyof NonNullable<WorkflowInput['messages']>;

/** `value` (a string or a per-locale map) with each catalog's text added under its locale. */
function merge<T extends Text | undefined>(
  value: T,
  main: string,
  catalogs: [string, Catalog][],
  pick: (c: Catalog) => string | undefined,
): T | Record<string, string> {
  if (value === undefined || value === '') return value;
  const map: Record<string, string> = typeof value === 'string' ? { [main]: value } : { ...value };
  for (const [locale, catalog] of catalogs) {
    const text = pick(catalog);
    if (text !== undefined) map[locale] = text;
  }
  return map;
}

/** The workflow speaking the catalogs' languages as well as its default one (which it keeps). */
export function withTranslations(workflow: WorkflowInput, catalogs: Record<string, Catalog>): WorkflowInput {
  const main = workflow.locales?.default ?? 'en';
  const list = Object.entries(catalogs);
  const t = <T extends Text | undefined>(value: T, pick: (c: Catalog) => string | undefined) =>
    merge(value, main, list, pick);
  const { greeting, contact, cta } = workflow;
  return {
    ...workflow,
    locales: {
      ...workflow.locales,
      default: main,
      available: [...new Set([...(workflow.locales?.available ?? [main]), ...Object.keys(catalogs)])],
    },
    greeting: {
      ...greeting,
      text: t(greeting.text, (c) => c.greeting.text),
      aboutText: t(greeting.aboutText, (c) => c.greeting.aboutText),
      declineText: t(greeting.declineText, (c) => c.greeting.declineText),
      options: greeting.options.map((o) => ({ ...o, label: t(o.label, (c) => c.greeting.options[o.id]) })),
    },
    questions: workflow.questions.map((q) => ({
      ...q,
      text: t(q.text, (c) => c.questions[q.id]?.text),
      ...(q.options
        ? {
            options: q.options.map((o) => ({
              ...o,
              label: t(o.label, (c) => c.questions[q.id]?.options?.[o.id]),
            })),
          }
        : {}),
    })),
    contact: {
      ...contact,
      text: t(contact.text, (c) => c.contact.text),
      skipLabel: t(contact.skipLabel, (c) => c.contact.skipLabel),
    },
    cta: {
      text: t(cta.text, (c) => c.cta.text),
      options: cta.options.map((o) => ({
        ...o,
        title: t(o.title, (c) => c.cta.options[o.id]?.title),
        description: t(o.description, (c) => c.cta.options[o.id]?.description),
      })),
    },
    completedText: t(workflow.completedText, (c) => c.completedText),
    products: workflow.products.map((p) => ({
      ...p,
      title: t(p.title, (c) => c.products[p.id]?.title),
      description: t(p.description, (c) => c.products[p.id]?.description),
    })),
    ...(workflow.messages
      ? {
          messages: Object.fromEntries(
            Object.entries(workflow.messages).map(([key, value]) => [
              key,
              t(value as Text, (c) => c.messages?.[key as MessageKey]),
            ]),
          ),
        }
      : {}),
    ...(workflow.experiments
      ? {
          experiments: workflow.experiments.map((e) => ({
            ...e,
            variants: e.variants.map((v) => {
              const text = v.config?.text;
              if (typeof text !== 'string' && !(typeof text === 'object' && text !== null)) return v;
              const config = {
                ...v.config,
                text: t(text as Text, (c) => c.experiments?.[e.name]?.[v.id]?.text),
              };
              return { ...v, config };
            }),
          })),
        }
      : {}),
  };
}
