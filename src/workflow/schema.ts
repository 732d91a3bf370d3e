import { z } from 'zod';
import { builtInBehaviors } from '../scoring/behaviors.js';
import { branchProblems, conditionSchema, nextSchema } from './branching.js';
import { checkQuestionFormat, isChoiceType, PROFILE_FIELDS, QUESTION_TYPES } from './field-kinds.js';
import { answerPoints, answerRulesSchema, thresholdsSchema } from './values.js';

/**
 * The workflow: every question, option, branch, point value and threshold of a conversation.
 * It is data, validated once at start-up; nothing else in the code base holds these facts.
 */

const id = z
  .string()
  .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores only')
  .min(1)
  .max(64);

/** A locale tag: a language, optionally with a region or script (`en`, `hi`, `hi-IN`, `pt-BR`). */
const localeTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a locale tag such as "hi" or "hi-IN"')
  .max(35);

/**
 * A visitor-facing text given per locale (`{ "en": "...", "hi": "..." }`). Which locales it must name is
 * checked once the whole workflow is read (src/workflow/locales.ts): the workflow's `locales` decide.
 */
export class Translations {
  constructor(readonly byLocale: Readonly<Record<string, string>>) {}
  /** Written back as the map it was read from. */
  toJSON(): Readonly<Record<string, string>> {
    return this.byLocale;
  }
}

/** A visitor-facing text: one string for every language, or one per locale. */
function localized(one: z.ZodString) {
  return z.union([
    one,
    z
      .record(localeTag, one)
      .refine((m) => Object.keys(m).length > 0, 'name at least one locale')
      .transform((m) => new Translations(m)),
  ]);
}

/** Every visitor-facing sentence of the workflow (a question, a greeting, a CTA's prompt, …). */
export const text = localized(z.string().trim().min(1).max(4000));
/** Every visitor-facing label (an option, a CTA's or a product's title, the contact form's skip). */
export const label = localized(z.string().trim().min(1).max(200));
/** A visitor-facing description (a CTA's or a product's); may be empty. */
export const description = localized(z.string().max(1000));

/** An array of items whose `id`s must be unique; checked on the array itself, so it is reported
 * alongside problems elsewhere in the workflow. */
function uniqueById<T extends z.ZodType<{ id: string }>>(item: T) {
  return z.array(item).superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (seen.has(it.id))
        ctx.addIssue({ code: 'custom', message: `id "${it.id}" is used twice`, path: [i, 'id'] });
      seen.add(it.id);
    });
  });
}

const optionSchema = z.strictObject({
  id,
  label,
});

/** A question's option: what picking it is worth (`answer_value`, the lead's fit), 0 when absent. */
const answerOptionSchema = optionSchema.extend({ points: answerPoints.optional() });

const greetingSchema = z.strictObject({
  /** Stable question id of the greeting (1 in the seed). */
  questionId: z.number().int().positive(),
  text,
  /** Said when the visitor asks what this is about, before the questions start. */
  aboutText: text,
  /** Said when the visitor declines; the conversation then ends as `declined`. */
  declineText: text,
  options: z.array(optionSchema.extend({ next: z.enum(['questions', 'about', 'declined']) })).min(1),
});

const questionSchema = z
  .strictObject({
    /** Stable integer id; the REST API addresses questions by it. */
    id: z.number().int().positive(),
    /** Machine-friendly name of the step, e.g. `business_type`. */
    step: id,
    text,
    type: z.enum(QUESTION_TYPES),
    /** An option's `next` jumps to a later question (or `"contact"`); see branching.ts. Its `points`
     * are its answer value. */
    options: uniqueById(answerOptionSchema.extend({ next: nextSchema.optional() })).default([]),
    /** Text-like questions only: the first matching pattern scores its points (`answer_value`). */
    rules: answerRulesSchema.optional(),
    required: z.boolean().default(true),
    /** The lead field the answer is copied to. */
    profileField: z.enum(PROFILE_FIELDS).optional(),
    /** Or: the custom field (the lead's `custom_fields`) the answer is stored in, typed by `type`. */
    field: id.optional(),
    /** number: the least and greatest value; date: the earliest and latest day (yyyy-mm-dd). */
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    /** number: whole numbers only. */
    integer: z.boolean().optional(),
    /** Put only when this holds for the options picked earlier on the visitor's path. */
    when: conditionSchema.optional(),
  })
  .superRefine((q, ctx) => {
    checkQuestionFormat(q, ctx);
    if (q.rules && isChoiceType(q.type)) {
      ctx.addIssue({
        code: 'custom',
        message: 'rules score text answers; a choice question gives its options points',
        path: ['rules'],
      });
    }
  });

const contactSchema = z.strictObject({
  questionId: z.number().int().positive(),
  text,
  skipLabel: label,
});

const ctaOptionSchema = z.strictObject({
  id,
  title: label,
  description: description.default(''),
  points: z.number().int().min(-1000).max(1000),
  /** What choosing it does: end the conversation, ask the questions again, or ask for a person. */
  action: z.enum(['complete', 'restart', 'human_help']),
});

const productSchema = z.strictObject({
  id,
  title: label,
  description: description.default(''),
  points: z.number().int().min(-1000).max(1000),
  /** A click on this item counts as a demo request (`clicked_demo`) instead of a product click. */
  demo: z.boolean().default(false),
});

const points = z.number().int().min(-1000).max(1000);

const scoringSchema = z.strictObject({
  session_opened: points,
  replied_to_greeting: points,
  answered_question: points,
  quick_reply: z.strictObject({ points, withinSeconds: z.number().positive() }),
  detailed_answer: z.strictObject({ points, minLength: z.number().int().nonnegative() }),
  answered_all_questions: points,
  shared_contact: points,
  /** `points` applies to a click that names no product; a named product earns its own points. */
  clicked_product: z.strictObject({ points, maxProducts: z.number().int().nonnegative() }),
  clicked_demo: points,
  clicked_pricing: points,
  /** Points for `cta_clicked` when no CTA is named. */
  cta_clicked: points,
  /** When a session is abandoned (idle past the deadline, or the visitor says they leave) before the questions are done. */
  early_dropout: points,
  /** An optional question (or the contact form) skipped; once per question. 0 records the skip without points. */
  question_skipped: points.default(0),
  /**
   * Page rules: a page view scores only when one names it. Each awards `points` under its own
   * `behavior` name, once per session, the first time the visitor views a page whose path matches
   * `pattern` (`*` stands for any characters; `/pricing*` matches /pricing and /pricing/teams).
   */
  pages: z
    .array(
      z.strictObject({
        behavior: id,
        pattern: z.string().regex(/^\//, 'a path, starting with /').max(500),
        points,
      }),
    )
    .superRefine((rules, ctx) => {
      const names = rules.map((r) => r.behavior);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i)
          ctx.addIssue({ code: 'custom', message: `"${n}" is used twice`, path: [i, 'behavior'] });
        if (builtInBehaviors.includes(n))
          ctx.addIssue({
            code: 'custom',
            message: `"${n}" is a built-in behaviour; name the page rule apart`,
            path: [i, 'behavior'],
          });
      });
    })
    .default([]),
});

/** A variant id: like `id`, and upper-case letters too (the earlier service's variants are `A` and `B`). */
const variantId = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, 'letters, digits and underscores only')
  .min(1)
  .max(64);

const experimentSchema = z.strictObject({
  name: id,
  kind: z.enum(['greeting_message', 'question_flow', 'cta_presentation']),
  enabled: z.boolean().default(true),
  variants: z
    .array(
      z.strictObject({
        id: variantId,
        weight: z.number().positive(),
        /** greeting_message: `{ text }`; question_flow: `{ order: number[] }`; cta_presentation: `{ order?, labels? }`. */
        config: z.record(z.string(), z.unknown()).default({}),
      }),
    )
    .min(1),
});

/** The languages of a workflow: texts must name every `available` locale but the `partial` ones. */
const localesSchema = z
  .strictObject({
    default: localeTag.default('en'),
    available: z.array(localeTag).min(1).max(50).optional(),
    partial: z.array(localeTag).max(50).default([]),
  })
  .transform(({ default: main, available, partial }) => ({
    default: main,
    available: available ?? [main],
    partial,
  }))
  .superRefine((l, ctx) => {
    if (!l.available.includes(l.default))
      ctx.addIssue({
        code: 'custom',
        message: `must include the default "${l.default}"`,
        path: ['available'],
      });
    l.available.forEach((tag, i) => {
      if (l.available.indexOf(tag) !== i)
        ctx.addIssue({ code: 'custom', message: `"${tag}" is listed twice`, path: ['available', i] });
    });
    l.partial.forEach((tag, i) => {
      if (!l.available.includes(tag) || tag === l.default)
        ctx.addIssue({
          code: 'custom',
          message: `"${tag}" must be an available locale other than the default`,
          path: ['partial', i],
        });
    });
  })
  .prefault({});

/** Visitor-visible refusals in the visitor's language; a message left out keeps the server's words. */
const messagesSchema = z
  .strictObject({
    /** A reply that is none of the options. */
    invalidOption: text.optional(),
    /** A question that needs typed text got none. */
    textExpected: text.optional(),
    /** The visitor sends faster than the server takes. */
    rateLimited: text.optional(),
    /**
     * After hours, a visitor who asked for a person is asked for a time to be called back (`{back}`: when
     * the team is back, "Monday 9:00 IST"), told the time they got (`{time}`), or told to pick a time
     * while the team is open (`{back}`).
     */
    callbackAsk: text.optional(),
    callbackConfirm: text.optional(),
    callbackOutsideHours: text.optional(),
    /** The widget's own words (its Send button, the answer field, the contact form's fields). */
    send: label.optional(),
    typeAnswer: label.optional(),
    name: label.optional(),
    phone: label.optional(),
    email: label.optional(),
  })
  .default({});

export const workflowSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    greeting: greetingSchema,
    questions: z.array(questionSchema).min(1),
    contact: contactSchema,
    cta: z.strictObject({ text, options: uniqueById(ctaOptionSchema).min(1) }),
    completedText: text,
    /** Errors the visitor sees (the widget shows a refused answer's message), per locale. */
    messages: messagesSchema,
    /** The languages the workflow speaks (see docs/workflow.md, Languages). */
    locales: localesSchema,
    products: uniqueById(productSchema),
    scoring: scoringSchema,
    thresholds: thresholdsSchema,
    /** Minutes without visitor activity after which a session is abandoned. */
    idleMinutes: z.number().positive().default(30),
    experiments: z
      .array(experimentSchema)
      .superRefine((list, ctx) => {
        const names = list.map((e) => e.name);
        names.forEach((n, i) => {
          if (names.indexOf(n) !== i)
            ctx.addIssue({ code: 'custom', message: `"${n}" is used twice`, path: [i, 'name'] });
        });
      })
      .default([]),
  })
  .superRefine((wf, ctx) => {
    const seen = new Set<number>();
    for (const qid of [wf.greeting.questionId, ...wf.questions.map((q) => q.id), wf.contact.questionId]) {
      if (seen.has(qid))
        ctx.addIssue({ code: 'custom', message: `question id ${qid} is used twice`, path: ['questions'] });
      seen.add(qid);
    }
    const fields = wf.questions.map((q) => q.field);
    fields.forEach((f, i) => {
      if (f !== undefined && fields.indexOf(f) !== i)
        ctx.addIssue({
          code: 'custom',
          message: `field "${f}" is used twice`,
          path: ['questions', i, 'field'],
        });
    });
    for (const problem of branchProblems(wf.questions, variantOrders(wf)))
      ctx.addIssue({ code: 'custom', ...problem });
  });

/** The question orders of the `question_flow` variants (those a session takes: permutations of the ids). */
function variantOrders(wf: { questions: { id: number }[]; experiments: z.infer<typeof experimentSchema>[] }) {
  const ids = wf.questions.map((q) => q.id);
  return wf.experiments.flatMap((e, i) =>
    e.kind !== 'question_flow'
      ? []
      : e.variants.flatMap((v, j) => {
          const order = v.config.order;
          const permutation =
            Array.isArray(order) && order.length === ids.length && ids.every((id) => order.includes(id));
          return permutation
            ? [{ order: order as number[], path: ['experiments', i, 'variants', j, 'config', 'order'] }]
            : [];
        }),
  );
}

/** A workflow as read: each visitor-facing text a string or its Translations. */
export type WorkflowSource = z.output<typeof workflowSchema>;
export type WorkflowInput = z.input<typeof workflowSchema>;

/** `T` with every visitor-facing text resolved to one language's string. */
export type Resolved<T> = T extends Translations
  ? string
  : T extends string | number | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Resolved<U>[]
      : T extends object
        ? { [K in keyof T]: Resolved<T[K]> }
        : T;

/**
 * The workflow in its default locale, as the code base reads it (texts are strings); its other
 * locales are reached through `workflowIn` (src/workflow/locales.ts).
 */
export type Workflow = Resolved<WorkflowSource>;
export type Question = Workflow['questions'][number];
