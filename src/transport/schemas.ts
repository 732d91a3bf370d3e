import { z } from 'zod';
import { AUTH_KEYS, TOUCH_FIELDS, TOUCH_LIMITS, type TouchField } from '../leads/attribution.js';
import { classifications } from '../scoring/classification.js';
import { isStorableText, unstorableTextAt, unstorableTextMessage } from '../text.js';

/**
 * A string PostgreSQL can store: every string of every payload is one, so text with U+0000 (which
 * PostgreSQL refuses in text and jsonb) is a `validation_failed` naming its field at both doors,
 * instead of a database error later.
 */
export const text = () => z.string().refine(isStorableText, unstorableTextMessage);

/** Bounds of the free-form JSON object a client attaches to a behaviour or an exit (`metadata`). */
export const metadataBounds = { maxBytes: 4096, maxDepth: 4 } as const;

/** How deeply `value` nests objects and arrays (a flat object is 1), counted no further than `limit` + 1. */
function nesting(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const item of Object.values(v)) stack.push([item, depth + 1]);
  }
  return deepest;
}

/**
 * Any JSON object, as the earlier service documented `metadata`: stored with the event as it was sent,
 * at most 4 KB as JSON and 4 levels deep, every string (keys too) one PostgreSQL can store. It never
 * changes points; only the keys the scoring table names (`target_id`) are read, and checked.
 */
export const metadata = z
  .looseObject({
    target_id: text()
      .min(1)
      .max(64)
      .optional()
      .describe('The product or CTA a click is about; without it the flat points apply.'),
  })
  .superRefine((value, ctx) => {
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > metadataBounds.maxBytes)
      ctx.addIssue({
        code: 'custom',
        message: `at most ${metadataBounds.maxBytes} bytes as JSON (${bytes})`,
      });
    if (nesting(value, metadataBounds.maxDepth) > metadataBounds.maxDepth)
      ctx.addIssue({ code: 'custom', message: `at most ${metadataBounds.maxDepth} levels deep` });
    const at = unstorableTextAt(value);
    if (at !== null) ctx.addIssue({ code: 'custom', message: unstorableTextMessage, path: at.split('.') });
  })
  .describe(
    `Any JSON object (at most ${metadataBounds.maxBytes} bytes, ${metadataBounds.maxDepth} levels), stored with the event.`,
  );

/** A session id, as every payload and path that names a session carries it. */
export const sessionId = text()
  .regex(/^sess_[0-9a-f]{32}$/, 'a session id looks like sess_ followed by 32 hex digits')
  .describe('The session id returned when the session started (also its secret).');

/** The path parameters of a route about one session. */
export const sessionParams = z.strictObject({ session_id: sessionId });

/** An experiment's name, as the workflow spells it. */
export const testName = z
  .string()
  .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores only')
  .max(64);

/** The path parameters of a route about one experiment. */
export const testParams = z.strictObject({ test_name: testName });

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

  /** The attribution fields under the door's names: text, bounded (URLs 2000 characters, the rest 200). */
  const touchFields = <const N extends Readonly<Record<TouchField, string>>>(names: N) =>
    Object.fromEntries(TOUCH_FIELDS.map((f) => [names[f], shortText(TOUCH_LIMITS[f]).optional()])) as {
      [F in TouchField as N[F]]: z.ZodOptional<ReturnType<typeof shortText>>;
    };

  /** A page the visitor views, as the widget reports it (on load and on every navigation). */
  const pageUrl = text().trim().min(1).max(2000);
  const pageTitle = text().max(300);
  const visitorPage = z.strictObject({
    clientMessageId: clientMessageId.optional(),
    url: pageUrl,
    title: pageTitle.optional(),
  });

  /** The widget's long-lived visitor id: random, URL-safe, 16–64 characters. */
  const visitorId = z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, '16 to 64 letters, digits, - or _')
    .describe("The widget's long-lived visitor id (random, kept in the browser)");
  /** The host site's user id and the hex HMAC-SHA256 of it under IDENTITY_SECRET. */
  const signature = z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'the hex HMAC-SHA256 of the user id')
    .describe('HMAC-SHA256 of the user id under IDENTITY_SECRET, hex');
  const identityUserId = shortText(200);
  const chatAuth = z.strictObject({
    sessionId: text().max(100).optional(),
    visitorId: visitorId.optional(),
    identity: z.strictObject({ userId: identityUserId, signature }).optional(),
    ...touchFields(AUTH_KEYS),
    locale: shortText(35).optional(),
    /** The chat protocol the client speaks (src/protocol/chat.ts, CHAT_PROTOCOL); 1 when absent. */
    protocol: z.number().int().min(1).max(1000).optional(),
  });

  /** A language tag as a client names it (`hi`, `hi-IN`); matched against the workflow's locales. */
  const locale = shortText(35)
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, 'a language tag such as hi or hi-IN')
    .describe('A language tag (hi, hi-IN, ta, en-GB); falls back hi-IN → hi → default');
  const sessionStartBody = z
    .strictObject({
      ...touchFields(Object.fromEntries(TOUCH_FIELDS.map((f) => [f, f])) as { [F in TouchField]: F }),
      locale: locale.optional(),
      visitor_id: visitorId.optional(),
      identity: z.strictObject({ user_id: identityUserId, signature }).optional(),
    })
    .nullish();
  /** The visitor switches language (socket `visitor:locale`, REST `POST /api/session/locale`). */
  const visitorLocale = z.strictObject({ clientMessageId: clientMessageId.optional(), locale });
  /** After hours, the time to be called back (socket `visitor:callback`): an offered slot's id or a typed time. */
  const visitorCallback = z.strictObject({ time: z.string().trim().min(1).max(40) });
  const sessionLocaleBody = z.strictObject({ session_id: sessionId, locale });
  /**
   * `GET /api/questions`: with a session, only the questions on its path (a branched workflow). Not
   * strict: unknown parameters (a cache-buster) are ignored, as the old service ignored them.
   */
  const questionsQuery = z.object({ session_id: sessionId.optional(), locale: locale.optional() });

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
    metadata: metadata.optional(),
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

  /** `POST /api/ab-test/variant/:test_name`: the test is in the path. */
  const variantBody = z.strictObject({ session_id: sessionId });

  const conversionBody = z.strictObject({
    session_id: sessionId,
    test_name: testName,
    variant: text()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'The variant the client believes the session is in (the earlier service required it): kept, never trusted; the assigned variant counts, and a mismatch is logged and counted in the results.',
      ),
    conversion_type: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores only')
      .max(64),
    conversion_value: z.number().finite().optional(),
  });

  /*
   * The calls the earlier service's later (FastAPI) version added: its models ignored fields they did
   * not know, and so do these (z.object drops them); its clients send null for a field they leave out.
   * Every other payload keeps rejecting unknown fields.
   */
  const questionId = z.number().int().positive();
  const nextQuestionBody = z.object({
    session_id: sessionId,
    last_question_id: questionId
      .nullish()
      .describe('The question the client showed last; accepted, but the session as stored decides.'),
  });
  const skipQuestionBody = z.object({
    session_id: sessionId,
    question_id: questionId.nullish().describe('The question to skip; by default the one the bot waits on.'),
    skip_reason: shortText(500).nullish(),
  });
  const answerWithConditionalBody = z.object(answerBody.shape);
  const laterVariantBody = z.object({
    session_id: sessionId,
    test_name: testName
      .nullish()
      .describe('The experiment; greeting_message when left out (as the later version had it).'),
  });
  const sessionExitBody = z.object({
    session_id: sessionId,
    exit_reason: shortText(200).describe(
      "Why the visitor left, in the client's words (closed_widget, tab_closed, …).",
    ),
    exit_question_id: questionId.nullish().describe('The question the client showed when the visitor left.'),
    exit_page: shortText(2000).nullish(),
    last_action: shortText(200).nullish(),
    metadata: metadata.nullish(),
  });

  const pageEntryBody = z
    .object({
      session_id: sessionId,
      page_identifier: pageUrl
        .nullish()
        .describe('The page: its URL or path (the later version named it so).'),
      page_url: pageUrl.nullish().describe('The page URL; either this or page_identifier.'),
      question_id: questionId.nullish().describe('Accepted and ignored: the session as stored knows.'),
      page_type: shortText(64).nullish(),
      metadata: metadata.nullish(),
    })
    .refine((b) => !!(b.page_identifier ?? b.page_url), {
      message: 'give page_identifier or page_url',
      path: ['page_identifier'],
    });
  const pageTrackingId = text()
    .regex(/^sess_[0-9a-f]{32}:[1-9][0-9]{0,9}$/, 'a page_tracking_id as page-entry returned it')
    .describe(
      "As /api/tracking/page-entry returned it: the session id and the page view's place in its log.",
    );
  const pageExitBody = z.object({
    page_tracking_id: pageTrackingId,
    exit_time: z
      .union([z.string().max(64), z.number()])
      .nullish()
      .describe('Accepted and ignored: the server measures the time on the page.'),
  });

  // The /agents namespace.
  const sessionRef = z.strictObject({ sessionId });
  const sessionWatch = z.strictObject({ sessionId, sinceSeq: seqCursor.optional() });
  const agentMessage = z.strictObject({ sessionId, text: shortText(2000) });
  const agentTyping = z.strictObject({ sessionId, typing: z.boolean() });
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
    visitorTyping: z.strictObject({ typing: z.boolean().optional() }),
    visitorPage,
    chatAuth,
    sessionStartBody,
    visitorLocale,
    visitorCallback,
    sessionLocaleBody,
    questionsQuery,
    answerBody,
    behaviorBody,
    profileBody,
    sessionParams,
    variantBody,
    conversionBody,
    nextQuestionBody,
    skipQuestionBody,
    answerWithConditionalBody,
    laterVariantBody,
    sessionExitBody,
    pageEntryBody,
    pageExitBody,
    sessionRef,
    sessionWatch,
    agentMessage,
    agentTyping,
    sessionsList,
    /** An agent says they are online or away (routing gives leads to online agents only). */
    agentStatus: z.strictObject({ status: z.enum(['online', 'away']) }),
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
