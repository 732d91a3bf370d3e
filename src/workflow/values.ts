import { z } from 'zod';

/**
 * The answer values of a workflow (its *fit* scoring): the points an option is worth, the pattern rules
 * of a text question, and the thresholds on fit and engagement. Shapes only; src/scoring awards them.
 */

/** What one option (or one rule) of a question is worth: may be negative, bounded. */
export const answerPoints = z.number().int().min(-100).max(100);

/** The longest pattern a rule may carry: rules are compiled at start-up and run on every first answer. */
const MAX_RULE_PATTERN = 200;

/**
 * A pattern rule of a text-like question: the first rule whose `pattern` (a regular expression, matched
 * case-insensitively anywhere in the answer) matches scores its `points`.
 */
export const answerRuleSchema = z.strictObject({
  pattern: z
    .string()
    .min(1)
    .max(MAX_RULE_PATTERN)
    .superRefine((pattern, ctx) => {
      try {
        new RegExp(pattern, 'iu');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `not a valid regular expression: ${(err as Error).message}`,
        });
      }
    }),
  points: answerPoints,
});
export type AnswerRule = z.infer<typeof answerRuleSchema>;

/** At most this many rules per question. */
export const answerRulesSchema = z.array(answerRuleSchema).max(50);

const partThresholds = z
  .strictObject({ sql: z.number().int().optional(), mql: z.number().int().optional() })
  .refine((t) => t.sql === undefined || t.mql === undefined || t.sql >= t.mql, {
    message: 'sql must not be below mql',
    path: ['sql'],
  });

/**
 * Thresholds on the total (`sql`, `mql`), and optional ones on the fit and engagement sub-totals that a
 * lead must also meet for SQL or MQL.
 */
export const thresholdsSchema = z
  .strictObject({
    sql: z.number().int(),
    mql: z.number().int(),
    /** Minimum fit (answer values) for SQL / MQL, on top of the total. */
    fit: partThresholds.optional(),
    /** Minimum engagement (every other behaviour) for SQL / MQL, on top of the total. */
    engagement: partThresholds.optional(),
  })
  .refine((t) => t.sql > t.mql, { message: 'sql must be greater than mql', path: ['sql'] });
