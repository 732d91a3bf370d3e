import { describe, expect, it } from 'vitest';
import type { BehaviorFact } from '../../machines/types.js';
import { classify } from '../../src/scoring/classification.js';
import { scoreFacts } from '../../src/scoring/ledger.js';
import { seedRules } from '../support/workflows.js';

/** The seed's own rules: the behaviours' points as the earlier service had them (no answer values). */
const wf = seedRules;
type Fact = BehaviorFact & { at: number };
const answer = (
  questionId: number,
  latencyMs: number,
  text: string | null = null,
  optionIds = ['x'],
): Fact => ({
  behavior: 'answered_question',
  questionId,
  latencyMs,
  text,
  optionIds: text === null ? optionIds : [],
  at: 1,
});
const score = (facts: Fact[], awarded: string[] = []) => scoreFacts(wf, new Set(awarded), facts);
const points = (facts: Fact[], awarded: string[] = []) =>
  score(facts, awarded).reduce((s, e) => s + e.points, 0);

describe('scoring rules', () => {
  it.each([
    ['session_opened', 5],
    ['replied_to_greeting', 5],
    ['answered_all_questions', 10],
    ['clicked_demo', 15],
    ['clicked_pricing', 10],
    ['early_dropout', -10],
  ] as const)('%s is worth %i, once', (behavior, value) => {
    const fact = { behavior, at: 1 } as Fact;
    expect(points([fact])).toBe(value);
    expect(points([fact, fact])).toBe(value);
    expect(points([fact], [behavior])).toBe(0);
  });

  it('question_skipped: as the scoring table says (0 by default, recorded all the same), once per question', () => {
    const skip = (questionId: number): Fact => ({ behavior: 'question_skipped', questionId, at: 1 });
    expect(score([skip(3), skip(3), skip(7)])).toEqual([
      {
        behavior: 'question_skipped',
        points: 0,
        onceKey: 'question_skipped:3',
        evidence: { questionId: 3 },
        at: 1,
      },
      {
        behavior: 'question_skipped',
        points: 0,
        onceKey: 'question_skipped:7',
        evidence: { questionId: 7 },
        at: 1,
      },
    ]);
    const costly = { ...wf, scoring: { ...wf.scoring, question_skipped: -2 } };
    expect(scoreFacts(costly, new Set(), [skip(3), skip(5)]).reduce((s, e) => s + e.points, 0)).toBe(-4);
  });

  it('answered_question: 5 per question, once per question', () => {
    expect(points([answer(2, 500_000)])).toBe(5);
    expect(points([answer(2, 500_000), answer(2, 500_000), answer(3, 500_000)])).toBe(10);
  });

  it('quick_reply: only under 120 s, measured latency, once per question', () => {
    expect(points([answer(2, 119_999)])).toBe(10);
    expect(points([answer(2, 120_000)])).toBe(5);
    // A quick re-answer after a slow first answer earns nothing.
    expect(points([answer(2, 130_000), answer(2, 1_000)])).toBe(5);
  });

  it('detailed_answer: typed text longer than 10 characters (trimmed), never for an option', () => {
    expect(score([answer(3, 500_000, '  Bengaluru, KA  ')]).map((e) => e.behavior)).toEqual([
      'answered_question',
      'detailed_answer',
    ]);
    expect(points([answer(3, 500_000, '   Pune 123   ')])).toBe(5); // 8 characters once trimmed
    expect(points([answer(3, 500_000, '0123456789')])).toBe(5); // exactly 10 is not longer than 10
    expect(points([answer(3, 500_000, '01234567890')])).toBe(10);
    expect(points([answer(2, 500_000)])).toBe(5);
  });

  it('shared_contact: 10, once', () => {
    const fact: Fact = { behavior: 'shared_contact', email: true, phone: false, at: 1 };
    expect(points([fact, fact])).toBe(10);
  });

  it('clicked_product: the item points, once per product, at most three products', () => {
    const click = (targetId: string): Fact => ({ behavior: 'clicked_product', targetId, at: 1 });
    expect(points([click('billing'), click('billing')])).toBe(5);
    expect(points(['billing', 'inventory', 'qr_payments', 'staff_hr'].map(click))).toBe(15);
    // Without a named product the flat points apply and it counts towards the three.
    expect(points([{ behavior: 'clicked_product', at: 1 }])).toBe(5);
  });

  it('the demo product counts as the one demo request', () => {
    const demo: Fact = { behavior: 'clicked_product', targetId: 'demo', at: 1 };
    const entries = score([demo, { behavior: 'clicked_demo', at: 2 }]);
    expect(entries.map((e) => [e.behavior, e.points])).toEqual([['clicked_demo', 15]]);
  });

  it('cta_clicked: the CTA points, 15 when none is named, once per session', () => {
    const cta = (targetId?: string): Fact => ({
      behavior: 'cta_clicked',
      at: 1,
      ...(targetId ? { targetId } : {}),
    });
    expect(points([cta('human_help')])).toBe(10);
    expect(score([cta('restart_bot')])).toEqual([]);
    // Restarting does not use up the click: the CTA chosen after the second round still counts.
    expect(points([cta('restart_bot'), cta('talk_to_sales')])).toBe(15);
    expect(points([cta()])).toBe(15);
    expect(points([cta('talk_to_sales'), cta('start_trial')])).toBe(15);
  });

  it('does not modify the awarded set it is given', () => {
    const awarded = new Set<string>();
    scoreFacts(wf, awarded, [{ behavior: 'session_opened', at: 1 }]);
    expect(awarded.size).toBe(0);
  });
});

describe('classification', () => {
  it.each([
    [0, 'Unqualified'],
    [29, 'Unqualified'],
    [30, 'MQL'],
    [59, 'MQL'],
    [60, 'SQL'],
    [200, 'SQL'],
    [-10, 'Unqualified'],
  ] as const)('%i → %s', (s, expected) => {
    expect(classify(s, wf.thresholds, { fit: 0, engagement: s })).toBe(expected);
  });
});
