import { z } from 'zod';
import { ATTRIBUTION_EXPORT_FIELDS, TOUCH_FIELDS } from '../leads/attribution.js';
import { QUESTION_TYPES, TEXT_ENTRY_TYPES } from '../workflow/field-kinds.js';
import { classification } from './schemas.js';

/**
 * Response shapes of the REST API, for the OpenAPI document (and the serializer, which sends only the
 * keys a shape declares). Payloads coming in are in schemas.ts.
 */

const option = z.object({ id: z.string(), label: z.string() });

/** A bot message (socket `bot:message`, REST greeting). */
export const botMessageSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  step: z.string(),
  questionId: z.number().int().optional(),
  text: z.string(),
  input: z.enum(['choice', 'multi_choice', ...TEXT_ENTRY_TYPES, 'contact', 'cta', 'callback', 'none']),
  options: z.array(option).optional(),
  bounds: z
    .object({
      min: z.union([z.number(), z.string()]).optional(),
      max: z.union([z.number(), z.string()]).optional(),
      integer: z.boolean().optional(),
    })
    .optional(),
  /** The language it is in (one of the workflow's locales). */
  locale: z.string().optional(),
});

/** One touch's fields, each null when the visitor's page did not send it. */
const touchKeys = Object.fromEntries(TOUCH_FIELDS.map((f) => [f, z.string().nullable()]));

/** The answers to the workflow's custom-field questions, by field name, typed. */
const customFields = z
  .record(z.string(), z.union([z.string(), z.number(), z.array(z.string())]))
  .describe(
    "The answers to the workflow's custom-field questions, by field name: numbers as numbers, option ids for choices, text otherwise.",
  );

/** A lead's profile and score, as the summary gives them flat and in `lead_data`. */
const profileKeys = {
  name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  business_type: z.string().nullable(),
  location: z.string().nullable(),
  staff_size: z.string().nullable(),
  monthly_sales: z.string().nullable(),
  features_interested: z.array(z.string()),
  custom_fields: customFields,
  lead_score: z.number(),
  /** The score's parts: answer values (fit) and every other behaviour (engagement). */
  fit_score: z.number(),
  engagement_score: z.number(),
};

/** A question as the question list shows it. */
const question = z.object({
  id: z.number(),
  step: z.string(),
  question_text: z.string(),
  question_type: z.enum([...QUESTION_TYPES, 'contact']),
  options: z.array(z.string()),
  required: z.boolean(),
  /** A branched workflow: put only when this holds (the workflow's `when`). */
  when: z.unknown().optional(),
  /** A branched workflow: option id → the question id it jumps to, or `contact`. */
  next: z.record(z.string(), z.union([z.number(), z.literal('contact')])).optional(),
  order_index: z.number(),
});

const answer = z.object({
  message: z.string(),
  score_earned: z.number(),
  lead_score: z.number(),
  lead_type: classification,
  next_question: botMessageSchema.nullable(),
});

/** Response shapes of the REST API, for the OpenAPI document. */
export const responses = {
  error: z.object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
  sessionStart: z.object({
    session_id: z.string(),
    message: z.string(),
    timestamp: z.string(),
    greeting: botMessageSchema,
    variants: z.record(z.string(), z.string()),
    /** The language the session speaks. */
    locale: z.string(),
  }),
  /** `POST /api/session/locale`: the language now spoken, and the pending prompt put again in it. */
  sessionLocale: z.object({
    message: z.string(),
    locale: z.string(),
    next_question: botMessageSchema.nullable(),
  }),
  questions: z.array(question),
  /** The question the bot waits on, or null (`POST /api/next-question`). */
  nextQuestion: question.nullable(),
  answer,
  answerWithConditional: answer.extend({
    conditional_response: z.object({
      type: z.enum(['info_response', 'thank_you_response', 'continue_flow']),
      content: z.string().nullable().optional(),
      next_question: botMessageSchema.nullable(),
      session_ended: z.boolean(),
    }),
  }),
  skip: z.object({
    message: z.string(),
    score_change: z.number(),
    lead_score: z.number(),
    lead_type: classification,
    next_question: botMessageSchema.nullable(),
  }),
  sessionExit: z.object({
    message: z.string(),
    exit_id: z.string(),
    score_change: z.number(),
    lead_score: z.number(),
    lead_type: classification,
  }),
  behaviorActions: z.object({ actions: z.array(z.string()), points: z.record(z.string(), z.number()) }),
  variant: z.object({
    test_name: z.string(),
    variant: z.string(),
    config: z.record(z.string(), z.unknown()),
  }),
  behavior: z.object({
    message: z.string(),
    score_change: z.number(),
    lead_score: z.number(),
    lead_type: classification,
  }),
  profile: z.object({
    message: z.string(),
    score_earned: z.number(),
    lead_score: z.number(),
    lead_type: classification,
  }),
  summary: z.object({
    session_id: z.string(),
    ...profileKeys,
    lead_type: classification,
    utm_source: z.string().nullable(),
    lead_data: z.object({ ...profileKeys, classification }),
    attribution: z.object({
      first: z.object(touchKeys),
      last: z.object({ ...touchKeys, at: z.string().nullable() }),
    }),
    behaviors: z.array(z.object({ action: z.string(), score: z.number(), at: z.string() })),
  }),
  export: z.object({
    name: z.string().nullable(),
    location: z.string().nullable(),
    business_type: z.string().nullable(),
    staff_size: z.string().nullable(),
    monthly_sales: z.string().nullable(),
    features_interested: z.array(z.string()),
    contact_info: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    lead_score: z.number(),
    lead_type: classification,
    utm_source: z.string().nullable(),
    session_start_time: z.string(),
    assigned_to: z.string().nullable(),
    callback_at: z.string().nullable(),
    ...Object.fromEntries(ATTRIBUTION_EXPORT_FIELDS.map((f) => [f, z.string().nullable()])),
    fit_score: z.number(),
    engagement_score: z.number(),
    custom_fields: customFields,
  }),
  score: z.object({
    lead_score: z.number(),
    lead_type: classification,
    fit_score: z.number(),
    engagement_score: z.number(),
    breakdown: z.array(z.object({ behavior: z.string(), points: z.number(), count: z.number() })),
  }),
  menu: z.array(z.object({ id: z.string(), title: z.string(), description: z.string(), score: z.number() })),
  health: z.object({
    status: z.enum(['healthy', 'unhealthy']),
    database: z.enum(['up', 'down']),
    redis: z.enum(['up', 'down', 'not_configured']),
    timestamp: z.string(),
  }),
};

type ErrorResponses<S extends number> = { [status in S]: typeof responses.error };

/** The error answers a route may give, by status, each in the one error shape: `errorResponses(401, 422)`. */
export function errorResponses<const S extends number>(...statuses: S[]): ErrorResponses<S> {
  return Object.fromEntries(statuses.map((status) => [status, responses.error])) as ErrorResponses<S>;
}
