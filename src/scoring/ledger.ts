import type { BehaviorFact } from '../../machines/types.js';
import type { Workflow } from '../workflow/schema.js';
import { ANSWER_VALUE, answerValues } from './answer-values.js';

/** A row of the score ledger: one award, with the evidence for it. */
export interface LedgerEntry {
  behavior: string;
  points: number;
  /** Identifies the award for its once-rule; the ledger never holds the same key twice per lead. */
  onceKey: string;
  evidence: Record<string, unknown>;
  at: number;
}

/** A page view that meets a page rule of the workflow (src/workflow/pages.ts); worked out at the edge. */
export interface PageFact {
  behavior: 'page_rule';
  /** The rule's behaviour name, e.g. viewed_pricing_page. */
  rule: string;
  points: number;
  url: string;
}

type Fact = (BehaviorFact | PageFact) & { at: number };

/**
 * Turns the facts a conversation emitted into ledger entries, applying the workflow's points and
 * once-rules against the keys already awarded. Pure; `awarded` is not modified.
 */
export function scoreFacts(
  workflow: Workflow,
  awarded: ReadonlySet<string>,
  facts: readonly Fact[],
): LedgerEntry[] {
  const rules = workflow.scoring;
  const taken = new Set(awarded);
  const entries: LedgerEntry[] = [];
  const award = (behavior: string, points: number, onceKey: string, at: number, evidence = {}) => {
    if (taken.has(onceKey)) return;
    taken.add(onceKey);
    entries.push({ behavior, points, onceKey, evidence, at });
  };

  for (const fact of facts) {
    switch (fact.behavior) {
      case 'session_opened':
      case 'replied_to_greeting':
      case 'answered_all_questions':
      case 'early_dropout':
      case 'clicked_pricing':
        award(fact.behavior, rules[fact.behavior], fact.behavior, fact.at);
        break;
      case 'page_rule':
        award(fact.rule, fact.points, `page_rule:${fact.rule}`, fact.at, { url: fact.url });
        break;
      case 'shared_contact':
        award('shared_contact', rules.shared_contact, 'shared_contact', fact.at, {
          email: fact.email,
          phone: fact.phone,
        });
        break;
      case 'question_skipped':
        // Recorded even at 0 points: the ledger says which questions were passed over.
        award('question_skipped', rules.question_skipped, `question_skipped:${fact.questionId}`, fact.at, {
          questionId: fact.questionId,
        });
        break;
      case 'answered_question': {
        const q = fact.questionId;
        // Only the first answer to a question earns anything; a later one only updates the answer.
        if (taken.has(`answered_question:${q}`)) break;
        const textLength = fact.text?.trim().length ?? 0;
        const evidence = { questionId: q, latencyMs: fact.latencyMs };
        award('answered_question', rules.answered_question, `answered_question:${q}`, fact.at, evidence);
        if (fact.latencyMs < rules.quick_reply.withinSeconds * 1000) {
          award('quick_reply', rules.quick_reply.points, `quick_reply:${q}`, fact.at, evidence);
        }
        const question = workflow.questions.find((x) => x.id === q);
        // Free text only: a long e-mail, phone number or date is no more detailed than a short one.
        const freeText = question?.type === 'text';
        if (freeText && fact.optionIds.length === 0 && textLength > rules.detailed_answer.minLength) {
          award('detailed_answer', rules.detailed_answer.points, `detailed_answer:${q}`, fact.at, {
            questionId: q,
            textLength,
          });
        }
        // What the answer says is worth (the lead's fit), also for the first answer only.
        for (const v of question ? answerValues(question, fact) : []) {
          award(ANSWER_VALUE, v.points, v.onceKey, fact.at, v.evidence);
        }
        break;
      }
      case 'clicked_demo':
        award('clicked_demo', rules.clicked_demo, 'clicked_demo', fact.at, evidenceOf(fact.targetId));
        break;
      case 'clicked_product': {
        const product = workflow.products.find((p) => p.id === fact.targetId);
        if (product?.demo) {
          award('clicked_demo', rules.clicked_demo, 'clicked_demo', fact.at, { targetId: product.id });
          break;
        }
        const key = `clicked_product:${fact.targetId ?? '*'}`;
        const clicked = [...taken].filter((k) => k.startsWith('clicked_product:')).length;
        if (taken.has(key) || clicked >= rules.clicked_product.maxProducts) break;
        award(
          'clicked_product',
          product?.points ?? rules.clicked_product.points,
          key,
          fact.at,
          evidenceOf(fact.targetId),
        );
        break;
      }
      case 'cta_clicked': {
        const cta = workflow.cta.options.find((c) => c.id === fact.targetId);
        const points = cta?.points ?? rules.cta_clicked;
        // A CTA worth nothing (Restart Bot) is no award and does not use up the once-per-session click.
        if (points !== 0) award('cta_clicked', points, 'cta_clicked', fact.at, evidenceOf(fact.targetId));
        break;
      }
    }
  }
  return entries;
}

function evidenceOf(targetId: string | undefined): Record<string, unknown> {
  return targetId === undefined ? {} : { targetId };
}
