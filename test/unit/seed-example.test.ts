import { describe, expect, it } from 'vitest';
import { Simulation } from '../support/simulation.js';

describe('the seed example', () => {
  it('scores 80 and classifies SQL', () => {
    const s = new Simulation(undefined, 0);
    let t = 0;
    // Questions 2–6 answered with option picks, no greeting reply; answers 3 and 5 come after > 120 s.
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

    const tally = (b: string) => s.ledger.filter((e) => e.behavior === b).reduce((n, e) => n + e.points, 0);
    expect(tally('session_opened')).toBe(5);
    expect(tally('answered_question')).toBe(25);
    expect(tally('answered_all_questions')).toBe(10);
    expect(tally('shared_contact')).toBe(10);
    expect(tally('clicked_demo')).toBe(15);
    expect(tally('quick_reply')).toBe(15);
    expect(tally('replied_to_greeting')).toBe(0);
    expect(s.score).toBe(80);
    expect(s.classification).toBe('SQL');
    expect(s.step).toBe('cta');
  });
});
