import { describe, expect, it } from 'vitest';
import type { BehaviorFact } from '../../machines/types.js';
import { answerValues, scoreParts } from '../../src/scoring/answer-values.js';
import { classify } from '../../src/scoring/classification.js';
import { scoreFacts } from '../../src/scoring/ledger.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow, WorkflowError } from '../../src/workflow/load.js';

/** The built-in workflow: its options and its location question carry answer values. */
const wf = loadWorkflow();
type Fact = BehaviorFact & { at: number };
const answer = (questionId: number, pick: string[] | string, at = 1): Fact => ({
  behavior: 'answered_question',
  questionId,
  latencyMs: 500_000,
  text: typeof pick === 'string' ? pick : null,
  optionIds: typeof pick === 'string' ? [] : pick,
  at,
});
const values = (facts: Fact[], awarded: string[] = []) =>
  scoreFacts(wf, new Set(awarded), facts)
    .filter((e) => e.behavior === 'answer_value')
    .map(({ points, onceKey, evidence }) => ({ points, onceKey, evidence }));

// biome-ignore lint/suspicious/noExplicitAny: the copies are deliberately made invalid
const copy = (): any => structuredClone(defaultWorkflow);
function refusal(input: unknown): string {
  try {
    parseWorkflow(input);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return (err as Error).message;
  }
  throw new Error('expected the workflow to be refused');
}

describe('answer values (fit)', () => {
  it('awards a picked option its points, naming the question and the option', () => {
    expect(values([answer(5, ['over_5l'])])).toEqual([
      {
        points: 15,
        onceKey: 'answer_value:5:over_5l',
        evidence: { questionId: 5, optionId: 'over_5l', label: '₹5L+' },
      },
    ]);
  });

  it('awards negative points too', () => {
    expect(values([answer(5, ['under_50k'])]).map((v) => v.points)).toEqual([-5]);
  });

  it('writes one line per valued option of a multi-choice pick; options worth nothing write none', () => {
    expect(values([answer(6, ['billing', 'staff_hr', 'online_store'])])).toEqual([
      {
        points: 3,
        onceKey: 'answer_value:6:staff_hr',
        evidence: { questionId: 6, optionId: 'staff_hr', label: 'Staff/HR' },
      },
      {
        points: 2,
        onceKey: 'answer_value:6:online_store',
        evidence: { questionId: 6, optionId: 'online_store', label: 'Online Store' },
      },
    ]);
    expect(values([answer(4, ['just_me'])])).toEqual([]);
  });

  it('scores a text answer by the first rule that matches, case-insensitively, naming the pattern', () => {
    const [rule] = wf.questions.find((q) => q.id === 3)!.rules!;
    expect(values([answer(3, '  PUNE, Maharashtra ')])).toEqual([
      { points: 5, onceKey: 'answer_value:3', evidence: { questionId: 3, pattern: rule!.pattern } },
    ]);
    expect(values([answer(3, 'Nashik')])).toEqual([]);
    const q = {
      id: 9,
      options: [],
      rules: [
        { pattern: '^\\d+ tables?$', points: 10 },
        { pattern: 'table', points: 3 },
      ],
    };
    expect(answerValues(q, { optionIds: [], text: '12 Tables' })[0]?.points).toBe(10);
    expect(answerValues(q, { optionIds: [], text: 'a few tables' })[0]?.points).toBe(3);
  });

  it('is earned by the first answer to a question only, like answered_question', () => {
    expect(values([answer(5, ['over_5l']), answer(5, ['under_50k'], 2)]).map((v) => v.points)).toEqual([15]);
    expect(values([answer(5, ['over_5l'])], ['answered_question:5'])).toEqual([]);
    // A multi-choice answered again with more options earns nothing more.
    expect(values([answer(6, ['billing']), answer(6, ['staff_hr'], 2)])).toEqual([]);
  });

  it('splits a ledger into fit and engagement that add up to its total', () => {
    const entries = scoreFacts(wf, new Set(), [
      { behavior: 'session_opened', at: 1 },
      answer(4, ['more_than_fifteen']),
      answer(5, ['under_50k']),
    ]);
    const parts = scoreParts(entries);
    expect(parts).toEqual({ fit: 10 - 5, engagement: 5 + 5 + 5 });
    expect(parts.fit + parts.engagement).toBe(entries.reduce((s, e) => s + e.points, 0));
  });
});

describe('thresholds on fit and engagement', () => {
  const thresholds = parseWorkflow({
    ...defaultWorkflow,
    thresholds: { sql: 60, mql: 30, fit: { sql: 20 }, engagement: { sql: 40, mql: 25 } },
  }).thresholds;

  it.each([
    [70, 20, 50, 'SQL'],
    [70, 19, 51, 'MQL'],
    [70, 40, 30, 'MQL'],
    [70, 46, 24, 'Unqualified'],
    [59, 30, 29, 'MQL'],
    [29, 4, 25, 'Unqualified'],
  ] as const)('total %i, fit %i, engagement %i → %s', (score, fit, engagement, expected) => {
    expect(classify(score, thresholds, { fit, engagement })).toBe(expected);
  });

  it('stay on the total alone when the workflow sets none', () => {
    expect(classify(60, wf.thresholds, { fit: -40, engagement: 100 })).toBe('SQL');
    expect(classify(59, wf.thresholds, { fit: 59, engagement: 0 })).toBe('MQL');
  });
});

describe('the workflow schema of answer values', () => {
  it('bounds option points to −100..100, integers', () => {
    const wfIn = copy();
    wfIn.questions[0].options[0].points = 101;
    wfIn.questions[1].rules = [{ pattern: 'x', points: -101 }];
    wfIn.questions[2].options[1].points = 1.5;
    const message = refusal(wfIn);
    expect(message).toContain('questions[0].options[0].points');
    expect(message).toContain('questions[1].rules[0].points');
    expect(message).toContain('questions[2].options[1].points');
  });

  it('refuses a pattern that does not compile or is too long, naming its path', () => {
    const wfIn = copy();
    wfIn.questions[1].rules = [
      { pattern: '(unclosed', points: 5 },
      { pattern: 'a'.repeat(201), points: 1 },
    ];
    const message = refusal(wfIn);
    expect(message).toMatch(/not a valid regular expression[\s\S]*questions\[1\]\.rules\[0\]\.pattern/);
    expect(message).toContain('questions[1].rules[1].pattern');
  });

  it('refuses rules on a choice question', () => {
    const wfIn = copy();
    wfIn.questions[0].rules = [{ pattern: 'x', points: 5 }];
    expect(refusal(wfIn)).toContain('questions[0].rules');
  });

  it('refuses fit or engagement thresholds of the wrong shape', () => {
    const wfIn = copy();
    wfIn.thresholds = { sql: 60, mql: 30, fit: { sql: 5, mql: 10 }, engagement: { sqll: 3 } };
    const message = refusal(wfIn);
    expect(message).toContain('thresholds.fit.sql');
    expect(message).toContain('thresholds.engagement');
  });
});
