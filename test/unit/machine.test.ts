import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createConversationMachine } from '../../machines/conversation.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow } from '../../src/workflow/load.js';
import { Simulation } from '../support/simulation.js';

const wf = loadWorkflow();
/** The built-in workflow with the location (3) and the monthly sales (5) optional. */
const optional = parseWorkflow({
  ...defaultWorkflow,
  questions: defaultWorkflow.questions.map((q) => (q.id === 3 || q.id === 5 ? { ...q, required: false } : q)),
});
const answerOf = (q: (typeof wf.questions)[number]) =>
  q.type === 'text' ? { text: 'Pune' } : { optionIds: [q.options[0]!.id] };

describe('conversation machine', () => {
  it('accepts out-of-order answers, then asks the first unanswered question', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
    expect(s.prompts.at(-1)).toMatchObject({ step: 'questions', questionId: 2 });
    expect(s.send({ type: 'visitor.answer', at: 2000, questionId: 5, optionIds: ['over_5l'] })).toBe(true);
    expect(s.prompts.at(-1)).toMatchObject({ questionId: 2 });
    s.send({ type: 'visitor.answer', at: 3000, questionId: 2, optionIds: ['other'] });
    expect(s.prompts.at(-1)).toMatchObject({ questionId: 3 });
    // An unknown option or question is not an event the machine can take.
    expect(s.send({ type: 'visitor.answer', at: 4000, questionId: 4, optionIds: ['nope'] })).toBe(false);
    expect(s.send({ type: 'visitor.answer', at: 4000, questionId: 9, text: 'x' })).toBe(false);
    expect(s.send({ type: 'visitor.answer', at: 4000, questionId: 6, optionIds: [] })).toBe(false);
    expect(
      s.send({ type: 'visitor.answer', at: 4000, questionId: 4, optionIds: ['just_me', 'two_to_five'] }),
    ).toBe(false);
  });

  it('explains the product on "What is this about?" and goes on to the questions', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'about' });
    expect(s.prompts.map((p) => p.step)).toEqual(['greeting', 'about', 'questions']);
    expect(s.step).toBe('questions');
  });

  it('declining ends the conversation politely', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'no' });
    expect(s.step).toBe('declined');
    expect(s.done).toBe(true);
    expect(s.prompts.at(-1)?.step).toBe('declined');
    expect(s.send({ type: 'visitor.action', at: 2000, action: 'clicked_demo' })).toBe(false);
  });

  it('restart_bot asks the questions again and keeps the score; re-answers earn nothing', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
    const answers: [number, { optionIds?: string[]; text?: string }][] = [
      [2, { optionIds: ['other'] }],
      [3, { text: 'Delhi' }],
      [4, { optionIds: ['just_me'] }],
      [5, { optionIds: ['under_50k'] }],
      [6, { optionIds: ['loans'] }],
    ];
    for (const [q, answer] of answers) {
      s.send({ type: 'visitor.answer', at: 2000, questionId: q, ...answer });
    }
    s.send({ type: 'visitor.contact', at: 3000, skip: true });
    const before = s.score;
    s.send({ type: 'visitor.cta', at: 4000, ctaId: 'restart_bot' });
    expect(s.step).toBe('questions');
    expect(s.prompts.at(-1)).toMatchObject({ questionId: 2 });
    s.send({ type: 'visitor.answer', at: 5000, questionId: 2, optionIds: ['kirana_retail'] });
    expect(s.score).toBe(before);
  });

  it('an agent takeover pauses the bot; the release repeats what it was waiting for', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
    s.send({ type: 'agent.takeover', at: 2000, agentId: 'agent-1' });
    expect(s.actor.getSnapshot().context.handoff).toEqual({ agentId: 'agent-1', at: 2000 });
    const prompts = s.prompts.length;
    s.send({ type: 'visitor.answer', at: 3000, questionId: 2, optionIds: ['other'] });
    expect(s.prompts.length).toBe(prompts);
    s.send({ type: 'agent.release', at: 4000 });
    expect(s.actor.getSnapshot().context.handoff).toBeNull();
    expect(s.prompts.at(-1)).toMatchObject({ step: 'questions', questionId: 3, at: 4000 });
  });

  it('human_help completes the conversation and flags it for a person', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1, optionId: 'yes' });
    for (const q of wf.questions) {
      s.send({
        type: 'visitor.answer',
        at: 2,
        questionId: q.id,
        ...(q.type === 'text' ? { text: 'x' } : { optionIds: [q.options[0]!.id] }),
      });
    }
    s.send({ type: 'visitor.contact', at: 3, hasEmail: true });
    s.send({ type: 'visitor.cta', at: 4, ctaId: 'human_help' });
    expect(s.step).toBe('completed');
    expect(s.actor.getSnapshot().context.humanHelp).toBe(true);
    expect(s.ledger.at(-1)).toMatchObject({ behavior: 'cta_clicked', points: 10 });
  });

  it('a persisted snapshot restores to the same conversation', () => {
    const s = new Simulation(wf, 0);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
    s.send({ type: 'visitor.answer', at: 2000, questionId: 2, optionIds: ['other'] });
    const snapshot = JSON.parse(JSON.stringify(s.actor.getPersistedSnapshot()));
    const restored = createActor(createConversationMachine(wf), {
      snapshot,
      input: { questionOrder: [2, 3, 4, 5, 6], startedAt: 0 },
    }).start();
    expect(restored.getSnapshot().value).toEqual(s.actor.getSnapshot().value);
    expect(restored.getSnapshot().context).toEqual(s.actor.getSnapshot().context);
  });

  it('asks the questions in the order given as input', () => {
    const s = new Simulation(wf, 0, [6, 5, 4, 3, 2]);
    s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
    expect(s.prompts.at(-1)).toMatchObject({ questionId: 6 });
  });

  describe('skipping', () => {
    it('skips an optional question for question_skipped (0 points) and asks the next one', () => {
      const s = new Simulation(optional, 0);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      s.send({ type: 'visitor.answer', at: 2000, questionId: 2, optionIds: ['other'] });
      expect(s.prompts.at(-1)).toMatchObject({ questionId: 3 });
      const before = s.score;
      expect(s.send({ type: 'visitor.skip', at: 3000, questionId: 3 })).toBe(true);
      expect(s.ledger.at(-1)).toMatchObject({
        behavior: 'question_skipped',
        points: 0,
        evidence: { questionId: 3 },
        at: 3000,
      });
      expect(s.score).toBe(before);
      expect(s.prompts.at(-1)).toMatchObject({ step: 'questions', questionId: 4, at: 3000 });
      expect(s.actor.getSnapshot().context.skipped).toEqual([3]);
      // Skipped once: not again, and not an answered question.
      expect(s.send({ type: 'visitor.skip', at: 3500, questionId: 3 })).toBe(false);
    });

    it('refuses to skip a required question, an unknown one, or one already answered', () => {
      const s = new Simulation(optional, 0);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      s.send({ type: 'visitor.answer', at: 1500, questionId: 5, optionIds: ['over_5l'] });
      for (const questionId of [2, 4, 6, 5, 42, wf.greeting.questionId, wf.contact.questionId]) {
        expect(s.send({ type: 'visitor.skip', at: 2000, questionId }), `question ${questionId}`).toBe(false);
      }
      // The built-in workflow's questions are all required.
      const strict = new Simulation(wf, 0);
      strict.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      expect(strict.send({ type: 'visitor.skip', at: 2000, questionId: 2 })).toBe(false);
      expect(new Simulation(optional, 0).send({ type: 'visitor.skip', at: 10, questionId: 3 })).toBe(false);
    });

    it('a round with a skipped question reaches the contact step without answered_all_questions', () => {
      const s = new Simulation(optional, 0);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      for (const q of optional.questions) {
        const event =
          q.id === 5
            ? { type: 'visitor.skip' as const, questionId: 5 }
            : { type: 'visitor.answer' as const, questionId: q.id, ...answerOf(q) };
        expect(s.send({ ...event, at: 2000 })).toBe(true);
      }
      expect(s.step).toBe('contact');
      expect(s.behaviors()).not.toContain('answered_all_questions');
      expect(s.actor.getSnapshot().context.completedQuestions).toBe(true);
      // Questions done: leaving now is no early dropout.
      expect(s.send({ type: 'visitor.exit', at: 3000 })).toBe(true);
      expect(s.step).toBe('abandoned');
      expect(s.behaviors()).not.toContain('early_dropout');
    });

    it('a skipped question answered after all counts as answered', () => {
      const s = new Simulation(optional, 0);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      s.send({ type: 'visitor.answer', at: 1100, questionId: 2, optionIds: ['other'] });
      s.send({ type: 'visitor.skip', at: 1200, questionId: 3 });
      expect(s.send({ type: 'visitor.answer', at: 1300, questionId: 3, text: 'Pune' })).toBe(true);
      expect(s.actor.getSnapshot().context).toMatchObject({ answered: [2, 3], skipped: [], current: 4 });
      for (const q of optional.questions.slice(2))
        s.send({ type: 'visitor.answer', at: 1400, questionId: q.id, ...answerOf(q) });
      expect(s.behaviors()).toContain('answered_all_questions');
    });

    it('skips the contact form (question 7) at the contact step only; a restart forgets the skips', () => {
      const s = new Simulation(optional, 0);
      expect(s.send({ type: 'visitor.skip', at: 500, questionId: 7 })).toBe(false);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      expect(s.send({ type: 'visitor.skip', at: 1500, questionId: 7 })).toBe(false);
      s.send({ type: 'visitor.skip', at: 1600, questionId: 3 });
      for (const q of optional.questions)
        s.send({ type: 'visitor.answer', at: 2000, questionId: q.id, ...answerOf(q) });
      expect(s.step).toBe('contact');
      expect(s.send({ type: 'visitor.skip', at: 3000, questionId: 7 })).toBe(true);
      expect(s.step).toBe('cta');
      expect(s.ledger.at(-1)).toMatchObject({ behavior: 'question_skipped', evidence: { questionId: 7 } });
      s.send({ type: 'visitor.cta', at: 4000, ctaId: 'restart_bot' });
      expect(s.actor.getSnapshot().context).toMatchObject({ answered: [], skipped: [], current: 2 });
    });
  });

  describe('leaving', () => {
    it('an exit before the questions are done abandons the session with early_dropout, once', () => {
      const s = new Simulation(wf, 0);
      s.send({ type: 'visitor.greeting', at: 1000, optionId: 'yes' });
      s.send({ type: 'visitor.answer', at: 2000, questionId: 2, optionIds: ['other'] });
      expect(s.send({ type: 'visitor.exit', at: 3000 })).toBe(true);
      expect(s.step).toBe('abandoned');
      expect(s.ledger.at(-1)).toMatchObject({ behavior: 'early_dropout', points: -10, at: 3000 });
      // Gone already: another exit is taken and changes nothing; the idle sweep has nothing to do.
      const score = s.score;
      expect(s.send({ type: 'visitor.exit', at: 4000 })).toBe(true);
      expect(s.send({ type: 'session.idle', at: 5000 })).toBe(false);
      expect(s.score).toBe(score);
      // Back: the visitor picks up where they left off, and the dropout stays (it is in the ledger).
      expect(s.send({ type: 'visitor.answer', at: 6000, questionId: 3, text: 'Pune' })).toBe(true);
      expect(s.step).toBe('questions');
      expect(s.prompts.at(-1)).toMatchObject({ questionId: 4 });
      expect(s.send({ type: 'visitor.exit', at: 7000 })).toBe(true);
      expect(s.behaviors().filter((b) => b === 'early_dropout')).toHaveLength(1);
    });

    it('an exit after the questions costs nothing, and an ended conversation takes none', () => {
      const s = new Simulation(wf, 0);
      for (const q of wf.questions)
        s.send({ type: 'visitor.answer', at: 1000, questionId: q.id, ...answerOf(q) });
      expect(s.send({ type: 'visitor.exit', at: 2000 })).toBe(true);
      expect(s.behaviors()).not.toContain('early_dropout');
      s.send({ type: 'visitor.contact', at: 3000, skip: true });
      s.send({ type: 'visitor.cta', at: 4000, ctaId: 'talk_to_sales' });
      expect(s.done).toBe(true);
      expect(s.send({ type: 'visitor.exit', at: 5000 })).toBe(false);
    });
  });
});
