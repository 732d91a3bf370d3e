import { z } from 'zod';
import { builtInBehaviors } from '../scoring/behaviors.js';
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

const text = z.string().trim().min(1).max(4000);

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
  label: z.string().trim().min(1).max(200),
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
    type: z.enum(['single_choice', 'multi_choice', 'text']),
    options: uniqueById(answerOptionSchema).default([]),
    /** Text-like questions only: the first matching pattern scores its points (`answer_value`). */
    rules: answerRulesSchema.optional(),
    required: z.boolean().default(true),
    /** The lead field the answer is copied to. */
    profileField: z.enum(['business_type', 'location', 'staff_size', 'monthly_sales', 'features_interested']),
  })
  .superRefine((q, ctx) => {
    if (q.type !== 'text' && q.options.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a choice question needs options', path: ['options'] });
    }
    if (q.rules && (q.type === 'single_choice' || q.type === 'multi_choice')) {
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
  skipLabel: z.string().trim().min(1).max(200),
});

const ctaOptionSchema = z.strictObject({
  id,
  title: z.string().trim().min(1).max(200),
  description: z.string().max(1000).default(''),
  points: z.number().int().min(-1000).max(1000),
  /** What choosing it does: end the conversation, ask the questions again, or ask for a person. */
  action: z.enum(['complete', 'restart', 'human_help']),
});

const productSchema = z.strictObject({
  id,
  title: z.string().trim().min(1).max(200),
  description: z.string().max(1000).default(''),
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

export const workflowSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    greeting: greetingSchema,
    questions: z.array(questionSchema).min(1),
    contact: contactSchema,
    cta: z.strictObject({ text, options: uniqueById(ctaOptionSchema).min(1) }),
    completedText: text,
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
  });

export type Workflow = z.infer<typeof workflowSchema>;
export type WorkflowInput = z.input<typeof workflowSchema>;
export type Question = Workflow['questions'][number];
