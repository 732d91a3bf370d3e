import { describe, expect, it } from 'vitest';
import { pathOf } from '../../machines/path.js';
import { parseWorkflow, WorkflowError } from '../../src/workflow/load.js';
import { branchedInput, branchedWorkflow as wf } from '../support/branched.js';
import { Simulation } from '../support/simulation.js';

// biome-ignore lint/suspicious/noExplicitAny: the workflow is broken on purpose
type Json = any;

/** The message of the error parsing the example with `breakIt` applied throws. */
function problems(breakIt: (w: Json) => void): string {
  const w = branchedInput();
  breakIt(w);
  try {
    parseWorkflow(w, 'test workflow');
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return (err as Error).message;
  }
  return expect.fail('the workflow was taken');
}

describe('branching: the workflow refuses', () => {
  it.each([
    [
      'a jump to its own question (a cycle)',
      (w: Json) => (w.questions[2].options[0].next = 4),
      /jumps to its own question 4: a cycle[\s\S]*at questions\[2\]\.options\[0\]\.next/,
    ],
    [
      'a backward jump',
      (w: Json) => (w.questions[3].options[1].next = 3),
      /jumps back to question 3, which comes before question 5: a cycle[\s\S]*at questions\[3\]\.options\[1\]\.next/,
    ],
    [
      'a jump to an unknown question',
      (w: Json) => (w.questions[0].options[1].next = 9),
      /jumps to question 9, which is no profile question[\s\S]*at questions\[0\]\.options\[1\]\.next/,
    ],
    [
      'a jump to the contact form by its id (use "contact")',
      (w: Json) => (w.questions[0].options[1].next = 7),
      /jumps to question 7, which is no profile question[\s\S]*at questions\[0\]\.options\[1\]\.next/,
    ],
    [
      'a jump that is neither a question id nor "contact"',
      (w: Json) => (w.questions[0].options[1].next = 'cta'),
      /at questions\[0\]\.options\[1\]\.next/,
    ],
    [
      'a when on a later question',
      (w: Json) => (w.questions[1].when = { question: 5, anyOf: ['over_5l'] }),
      /question 3 depends on question 5, which is not asked before it[\s\S]*at questions\[1\]\.when\.question/,
    ],
    [
      'a when on the question itself',
      (w: Json) => (w.questions[4].when = { question: 6, anyOf: ['loans'] }),
      /question 6 depends on question 6[\s\S]*at questions\[4\]\.when\.question/,
    ],
    [
      'a when on an unknown question, deep in a combination',
      (w: Json) =>
        (w.questions[4].when = {
          all: [{ question: 5, noneOf: ['under_50k'] }, { not: { question: 8, anyOf: ['x'] } }],
        }),
      /refers to question 8, which is no profile question[\s\S]*at questions\[4\]\.when\.all\[1\]\.not\.question/,
    ],
    [
      'a when on an unknown option',
      (w: Json) => (w.questions[4].when = { question: 5, noneOf: ['under_50k', 'millions'] }),
      /question 5 has no option "millions"[\s\S]*at questions\[4\]\.when\.noneOf\[1\]/,
    ],
    [
      'a when on a text question (it has no options)',
      (w: Json) => (w.questions[2].when = { question: 3, anyOf: ['pune'] }),
      /question 3 has no option "pune"[\s\S]*at questions\[2\]\.when\.anyOf\[0\]/,
    ],
    [
      'a when with two kinds of match',
      (w: Json) => (w.questions[4].when = { question: 5, anyOf: ['over_5l'], noneOf: ['under_50k'] }),
      /exactly one of anyOf, allOf, noneOf[\s\S]*at questions\[4\]\.when/,
    ],
    [
      'a when with an unknown key',
      (w: Json) => (w.questions[4].when = { question: 5, oneOf: ['over_5l'] }),
      /at questions\[4\]\.when/,
    ],
    [
      'a question that no answer reaches (its when never holds)',
      (w: Json) => (w.questions[4].when = { question: 2, allOf: ['kirana_retail', 'other'] }),
      /question 6 is never reached: no combination of answers puts it to a visitor[\s\S]*at questions\[4\]/,
    ],
    [
      'a question every branch jumps past',
      (w: Json) => {
        for (const o of w.questions[0].options) o.next = 5;
      },
      /question 3 is never reached[\s\S]*at questions\[1\][\s\S]*question 4 is never reached[\s\S]*at questions\[2\]/,
    ],
    [
      'a question order variant that puts a question before the one its when names',
      (w: Json) => (w.experiments[1].variants[1].config.order = [4, 2, 3, 5, 6]),
      /in this order, questions\[2\]\.when\.not\.question question 4 depends on question 2[\s\S]*at experiments\[1\]\.variants\[1\]\.config\.order/,
    ],
    [
      'a question order variant that turns a jump backwards',
      (w: Json) => (w.experiments[1].variants[1].config.order = [5, 2, 3, 4, 6]),
      /in this order, questions\[0\]\.options\[0\]\.next jumps back to question 5, which comes before question 2[\s\S]*at experiments\[1\]\.variants\[1\]\.config\.order/,
    ],
  ] as [string, (w: Json) => void, RegExp][])('%s, naming its path', (_name, breakIt, pattern) => {
    expect(problems(breakIt)).toMatch(pattern);
  });

  it('takes an order variant that keeps the branches (the example reorders 3 and 4)', () => {
    expect(wf.experiments[1]!.variants[1]!.config.order).toEqual([2, 4, 3, 5, 6]);
  });

  it('takes a condition on an optional question that was skipped (noneOf holds: nothing was picked)', () => {
    expect(pathOf(wf, [2, 3, 4, 5, 6], { 2: ['restaurant_cafe'], 4: ['two_to_five'] })).toEqual([
      2, 3, 4, 5, 6,
    ]);
  });
});

describe('branching: the visitor path', () => {
  const order = [2, 3, 4, 5, 6];
  it.each([
    ['other: straight to the contact form', { 2: ['other'] }, [2]],
    ['kirana: on to the monthly sales', { 2: ['kirana_retail'], 5: ['over_5l'] }, [2, 5, 6]],
    ['kirana selling under ₹50K: no features question', { 2: ['kirana_retail'], 5: ['under_50k'] }, [2, 5]],
    ['wholesale: no staff size', { 2: ['wholesale_fmcg'], 3: [], 5: ['2l_5l'] }, [2, 3, 5, 6]],
    ['one person: past the monthly sales', { 2: ['restaurant_cafe'], 3: [], 4: ['just_me'] }, [2, 3, 4, 6]],
    ['nothing answered yet: every question that does not depend on an answer', {}, [2, 3, 4, 5, 6]],
  ])('%s', (_name, picks, path) => {
    expect(pathOf(wf, order, picks)).toEqual(path);
  });

  const answer = (sim: Simulation, at: number, questionId: number, optionIds?: string[]) =>
    sim.send(
      optionIds
        ? { type: 'visitor.answer', at, questionId, optionIds }
        : { type: 'visitor.answer', at, questionId, text: 'Pune' },
    );
  const asked = (sim: Simulation) =>
    sim.prompts.filter((p) => p.step === 'questions').map((p) => p.questionId);

  it('asks only the questions on the path and counts all of them answered at its end', () => {
    const sim = new Simulation(wf);
    sim.send({ type: 'visitor.greeting', at: 1_000, optionId: 'yes' });
    expect(answer(sim, 2_000, 2, ['kirana_retail'])).toBe(true);
    expect(answer(sim, 3_000, 5, ['under_50k'])).toBe(true);
    expect(asked(sim)).toEqual([2, 5]);
    expect(sim.step).toBe('contact');
    expect(sim.behaviors()).toContain('answered_all_questions');
    // Done with the path: leaving now is no early dropout.
    sim.send({ type: 'visitor.exit', at: 4_000 });
    expect(sim.behaviors()).not.toContain('early_dropout');
  });

  it('refuses an answer to a question off the path', () => {
    const sim = new Simulation(wf);
    sim.send({ type: 'visitor.greeting', at: 1_000, optionId: 'yes' });
    answer(sim, 2_000, 2, ['wholesale_fmcg']);
    expect(answer(sim, 3_000, 4, ['two_to_five'])).toBe(false);
    // Ahead of the visitor but on the path: taken, as before.
    expect(answer(sim, 3_000, 5, ['2l_5l'])).toBe(true);
    expect(sim.actor.getSnapshot().context.current).toBe(3);
  });

  it('a skipped optional question jumps nowhere and the round ends without the bonus', () => {
    const sim = new Simulation(wf);
    answer(sim, 1_000, 2, ['kirana_retail']);
    expect(sim.send({ type: 'visitor.skip', at: 2_000, questionId: 5 })).toBe(true);
    expect(sim.actor.getSnapshot().context.current).toBe(6);
    answer(sim, 3_000, 6, ['loans']);
    expect(sim.step).toBe('contact');
    expect(sim.behaviors()).not.toContain('answered_all_questions');
  });

  it('while the questions run, a changed answer takes the path another way', () => {
    const sim = new Simulation(wf);
    answer(sim, 1_000, 2, ['restaurant_cafe']);
    answer(sim, 2_000, 3);
    expect(sim.actor.getSnapshot().context.current).toBe(4);
    // Now a kirana shop: 3 and 4 leave the path (3 stays answered and scored), 5 is asked next.
    expect(answer(sim, 3_000, 2, ['kirana_retail'])).toBe(true);
    expect(sim.actor.getSnapshot().context.current).toBe(5);
    answer(sim, 4_000, 5, ['under_50k']);
    expect(sim.step).toBe('contact');
    expect(sim.behaviors()).toContain('answered_all_questions');
    // And back: restaurant again puts 4 on the path, unanswered — the path is still open.
    const back = new Simulation(wf);
    answer(back, 1_000, 2, ['other']);
    expect(back.step).toBe('contact');
    expect(answer(back, 2_000, 2, ['restaurant_cafe'])).toBe(false);
  });

  it('after the questions, an answer may change only if the path stays the same', () => {
    const sim = new Simulation(wf);
    answer(sim, 1_000, 2, ['wholesale_fmcg']);
    answer(sim, 2_000, 3);
    answer(sim, 3_000, 5, ['2l_5l']);
    answer(sim, 4_000, 6, ['loans']);
    expect(sim.step).toBe('contact');
    // Another wholesale-like answer that keeps the path: taken.
    expect(answer(sim, 5_000, 5, ['over_5l'])).toBe(true);
    // Under ₹50K would take question 6 off the path; a restaurant would put question 4 on it: refused.
    expect(answer(sim, 6_000, 5, ['under_50k'])).toBe(false);
    expect(answer(sim, 6_000, 2, ['restaurant_cafe'])).toBe(false);
    sim.send({ type: 'visitor.contact', at: 7_000, skip: true });
    expect(sim.step).toBe('cta');
    expect(answer(sim, 8_000, 2, ['other'])).toBe(false);
    expect(answer(sim, 8_000, 6, ['billing', 'loans'])).toBe(true);
  });

  it('a restart forgets the picks: the new round may take another path', () => {
    const sim = new Simulation(wf);
    answer(sim, 1_000, 2, ['other']);
    sim.send({ type: 'visitor.contact', at: 2_000, skip: true });
    sim.send({ type: 'visitor.cta', at: 3_000, ctaId: 'restart_bot' });
    expect(sim.step).toBe('questions');
    expect(sim.actor.getSnapshot().context.picks).toEqual({});
    answer(sim, 4_000, 2, ['wholesale_fmcg']);
    expect(sim.actor.getSnapshot().context.current).toBe(3);
  });
});
