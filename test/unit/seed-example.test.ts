import { describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/workflow/load.js';
import type { Workflow } from '../../src/workflow/schema.js';
import { Simulation } from '../support/simulation.js';
import { SEED_RULES_FILE, seedRules } from '../support/workflows.js';

/** The seed example: questions 2–6 answered with option picks, no greeting reply, a phone, a demo. */
function seedExample(workflow: Workflow): Simulation {
  const s = new Simulation(workflow, 0);
  let t = 0;
  // Answers 3 and 5 come after > 120 s.
  const answers = [
    { questionId: 2, optionIds: ['kirana_retail'], after: 20 },
    { questionId: 3, text: 'Pune', after: 150 },
    { questionId: 4, optionIds: ['two_to_five'], after: 30 },
    { questionId: 5, optionIds: ['2l_5l'], after: 121 },
    { questionId: 6, optionIds: ['billing', 'inventory'], after: 45 },
  ];
  for (const { after, ...answer } of answers) {
    t += after * 1000;
    expect(s.send({ type: 'visitor.answer', at: t, ...answer })).toBe(true);
  }
  t += 10_000;
  expect(s.send({ type: 'visitor.contact', at: t, hasPhone: true })).toBe(true);
  t += 10_000;
  expect(s.send({ type: 'visitor.action', at: t, action: 'clicked_demo' })).toBe(true);
  return s;
}

describe('the seed example', () => {
  it('scores 80 and classifies SQL under the seed rules (examples/seed-rules.json)', () => {
    const s = seedExample(loadWorkflow(SEED_RULES_FILE));
    const tally = (b: string) => s.ledger.filter((e) => e.behavior === b).reduce((n, e) => n + e.points, 0);
    expect(tally('session_opened')).toBe(5);
    expect(tally('answered_question')).toBe(25);
    expect(tally('answered_all_questions')).toBe(10);
    expect(tally('shared_contact')).toBe(10);
    expect(tally('clicked_demo')).toBe(15);
    expect(tally('quick_reply')).toBe(15);
    expect(tally('replied_to_greeting')).toBe(0);
    expect(s.behaviors()).not.toContain('answer_value');
    expect(s.score).toBe(80);
    expect(s.parts).toEqual({ fit: 0, engagement: 80 });
    expect(s.classification).toBe('SQL');
    expect(s.step).toBe('cta');
  });

  it('scores its answers too under the built-in workflow: fit beside the same engagement', () => {
    const s = seedExample(loadWorkflow());
    // A kirana shop +5, in Pune (a metro) +5, 2–5 staff +3, ₹2L–₹5L +8, billing 0 and inventory +2.
    expect(s.ledger.filter((e) => e.behavior === 'answer_value').map((e) => [e.evidence, e.points])).toEqual([
      [{ questionId: 2, optionId: 'kirana_retail', label: 'Kirana / Retail Shop' }, 5],
      [{ questionId: 3, pattern: expect.stringContaining('pune') }, 5],
      [{ questionId: 4, optionId: 'two_to_five', label: '2–5' }, 3],
      [{ questionId: 5, optionId: '2l_5l', label: '₹2L – ₹5L' }, 8],
      [{ questionId: 6, optionId: 'inventory', label: 'Inventory' }, 2],
    ]);
    expect(s.parts).toEqual({ fit: 23, engagement: 80 });
    expect(s.score).toBe(103);
    expect(s.classification).toBe('SQL');
  });

  it('keeps the seed rules the built-in workflow without its answer values', () => {
    const builtIn = loadWorkflow();
    // Same questions and options (ids and order), none of them valued; the rest of the scoring the same.
    expect(seedRules.questions.map((q) => [q.id, q.options.map((o) => o.id)])).toEqual(
      builtIn.questions.map((q) => [q.id, q.options.map((o) => o.id)]),
    );
    expect(
      seedRules.questions.flatMap((q) => [...(q.rules ?? []), ...q.options.filter((o) => o.points)]),
    ).toEqual([]);
    expect(builtIn.questions.flatMap((q) => q.options.filter((o) => o.points))).not.toEqual([]);
    // What scores is the same (ids and points; the texts may be translated in one and not the other).
    expect(seedRules.scoring).toEqual(builtIn.scoring);
    expect(seedRules.thresholds).toEqual(builtIn.thresholds);
    const worth = (wf: typeof builtIn) => ({
      products: wf.products.map(({ id, points, demo }) => ({ id, points, demo })),
      cta: wf.cta.options.map(({ id, points, action }) => ({ id, points, action })),
      greeting: wf.greeting.options.map(({ id, next }) => ({ id, next })),
      required: wf.questions.map((q) => q.required),
    });
    expect(worth(seedRules)).toEqual(worth(builtIn));
  });
});
