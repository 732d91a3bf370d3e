import { z } from 'zod';
import { classifications } from '../scoring/classification.js';
import { isStorableText, unstorableTextMessage } from '../text.js';

/**
 * A string PostgreSQL can store: every string of every payload is one, so text with U+0000 (which
 * PostgreSQL refuses in text and jsonb) is a `validation_failed` naming its field at both doors,
 * instead of a database error later.
 */
export const text = () => z.string().refine(isStorableText, unstorableTextMessage);

/** A session id, as every payload and path that names a session carries it. */
export const sessionId = text()
  .regex(/^sess_[0-9a-f]{32}$/, 'a session id looks like sess_ followed by 32 hex digits')
  .describe('The session id returned when the session started (also its secret).');

/** The path parameters of a route about one session. */
export const sessionParams = z.strictObject({ session_id: sessionId });

/** A lead's classification (SQL, MQL or Unqualified), in filters and answers. */
export const classification = z.enum(classifications);

/** A route's `security`: a bearer credential, an agent token or an API key (see transport/principal.ts). */
export const bearerAuth = [{ bearer: [] }];

/**
 * One schema per payload, for both doors (REST and socket) and the OpenAPI document. Unknown fields
 * are rejected. Built from the configured limits.
 */
export function createSchemas(limits: { answerLength: number }) {
  const clientMessageId = text()
    .min(1)
    .max(100)
    .describe('Chosen by the client; a replay with the same id returns the first result.');
  const idempotencyKey = clientMessageId.optional();
  const answerText = text()
    .max(limits.answerLength, `at most ${limits.answerLength} characters`)
    .refine((s) => s.trim().length > 0, 'must not be empty');
  const shortText = (max: number) => text().trim().min(1).max(max);
  const optionId = text().min(1).max(64);

  const visitorReply = z
    .strictObject({
      clientMessageId,
      text: answerText.optional(),
      optionIds: z.array(optionId).min(1).max(20).optional(),
    })
    .refine((r) => r.text !== undefined || r.optionIds !== undefined, {
      message: 'give text or optionIds',
      path: ['text'],
    });

  const contactFields = {
    name: text().max(200).optional(),
    email: text().max(320).optional(),
    phone: text().max(40).optional(),
  };

  const visitorContact = z.strictObject({ clientMessageId, ...contactFields, skip: z.boolean().optional() });

  const visitorAction = z.strictObject({
    clientMessageId,
    action: z.enum(['clicked_product', 'clicked_demo', 'clicked_pricing', 'cta_clicked']),
    targetId: optionId.optional(),
  });

  const chatAuth = z.strictObject({
    sessionId: text().max(100).optional(),
    utmSource: shortText(200).optional(),
    locale: shortText(35).optional(),
  });

  const sessionStartBody = z.strictObject({ utm_source: shortText(200).optional() }).nullish();

  const answerBody = z.strictObject({
    session_id: sessionId,
    question_id: z.number().int().positive(),
    answer_text: answerText,
    time_taken: z
      .number()
      .min(0, 'must not be negative')
      .max(86_400, 'at most a day (86400 seconds)')
      .optional()
      .describe('Seconds the client says the answer took; stored, never scored.'),
  });

  const behaviorBody = z.strictObject({
    session_id: sessionId,
    action: text().min(1).max(64),
    metadata: z
      .strictObject({ target_id: optionId.optional() })
      .optional()
      .describe('target_id names the product or CTA; without it the flat points apply.'),
  });

  const profileData = z.strictObject({
    ...contactFields,
    business_type: shortText(200).optional(),
    location: shortText(2000).optional(),
    staff_size: shortText(200).optional(),
    monthly_sales: shortText(200).optional(),
    features_interested: z.array(shortText(200)).max(50).optional(),
  });
  const profileBody = z.strictObject({ session_id: sessionId, profile_data: profileData });

  // The /agents namespace.
  const sessionRef = z.strictObject({ sessionId });
  const sessionWatch = z.strictObject({ sessionId, sinceSeq: seqCursor.optional() });
  const agentMessage = z.strictObject({ sessionId, text: shortText(2000) });
  const sessionsList = z
    .strictObject({
      filter: z
        .strictObject({
          classification: classification.optional(),
          state: text().max(32).optional(),
          connected: z.boolean().optional(),
          limit: listLimit.optional(),
        })
        .optional(),
    })
    .optional();

  return {
    sessionId,
    idempotencyKey,
    visitorReply,
    visitorContact,
    visitorAction,
    visitorTyping: z.strictObject({}),
    chatAuth,
    sessionStartBody,
    answerBody,
    behaviorBody,
    profileBody,
    sessionParams,
    sessionRef,
    sessionWatch,
    agentMessage,
    sessionsList,
  };
}

export type Schemas = ReturnType<typeof createSchemas>;

/**
 * Bounds of every page, list and cursor a client chooses (zod's `int()` alone allows up to 2^53). The
 * database reads and drops every row an offset skips, so an unbounded page is a full scan on demand.
 */
export const listBounds = {
  maxPage: 10_000,
  maxPageSize: 500,
  /** Most rows a page may skip, (page - 1) × page size. */
  maxOffset: 100_000,
  maxLimit: 1000,
  maxSeq: 2 ** 31 - 1,
} as const;
/** A 1-based page of a REST list (query string). */
export const pageNumber = z.coerce.number().int().min(1).max(listBounds.maxPage);
/** Rows per page of a REST list (query string). */
export const pageSize = z.coerce.number().int().min(1).max(listBounds.maxPageSize);
/** Most rows a socket list may ask for. */
export const listLimit = z.number().int().min(1).max(listBounds.maxLimit);
/** A place in a session's event log (its events are numbered from 1 in an integer column). */
export const seqCursor = z.number().int().min(0).max(listBounds.maxSeq);

const option = z.object({ id: z.string(), label: z.string() });

/** A bot message (socket `bot:message`, REST greeting). */
export const botMessageSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  step: z.string(),
  questionId: z.number().int().optional(),
  text: z.string(),
  input: z.enum(['choice', 'multi_choice', 'text', 'contact', 'cta', 'none']),
  options: z.array(option).optional(),
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
  }),
  questions: z.array(
    z.object({
      id: z.number(),
      step: z.string(),
      question_text: z.string(),
      question_type: z.enum(['single_choice', 'multi_choice', 'text', 'contact']),
      options: z.array(z.string()),
      required: z.boolean(),
      order_index: z.number(),
    }),
  ),
  answer: z.object({
    message: z.string(),
    score_earned: z.number(),
    lead_score: z.number(),
    lead_type: classification,
    next_question: botMessageSchema.nullable(),
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
    lead_data: z.object({
      name: z.string().nullable(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
      business_type: z.string().nullable(),
      location: z.string().nullable(),
      staff_size: z.string().nullable(),
      monthly_sales: z.string().nullable(),
      features_interested: z.array(z.string()),
      lead_score: z.number(),
      classification,
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
  }),
  score: z.object({
    lead_score: z.number(),
    lead_type: classification,
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
