import type { VisitorAction } from '../../machines/types.js';

/** What a client may report by name (the seed's `/api/behavior`): only what a click can tell. */
export const reportableActions = [
  'clicked_product',
  'clicked_demo',
  'clicked_pricing',
  'cta_clicked',
] as const satisfies readonly VisitorAction[];

/** The behaviours the server works out itself: no client reports them, and no page rule takes their names. */
export const derivedBehaviors = [
  'session_opened',
  'replied_to_greeting',
  'answered_question',
  'quick_reply',
  'detailed_answer',
  'answered_all_questions',
  'shared_contact',
  'early_dropout',
  'question_skipped',
] as const;

/** Every behaviour name the scoring table knows. */
export const builtInBehaviors: readonly string[] = [...derivedBehaviors, ...reportableActions];
