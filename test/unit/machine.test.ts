import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createConversationMachine } from '../../machines/conversation.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import { Simulation } from '../support/simulation.js';

const wf = loadWorkflow();

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
});
