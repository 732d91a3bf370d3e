import { assertEvent, assign, enqueueActions, raise, type SnapshotFrom, setup } from 'xstate';
import {
  answeredPath,
  canSkipQuestion,
  checkAnswer,
  keepsPath,
  nextUnanswered,
  withPicks,
} from './guards.js';
import type {
  ConversationContext,
  ConversationEmitted,
  ConversationEvent,
  ConversationFlow,
  ConversationInput,
  Step,
} from './types.js';

/**
 * One conversation: greeting → (about) → questions → contact → cta → completed, or declined, or
 * abandoned when the server reports the idle deadline or the visitor says they leave. Optional
 * questions and the contact form may be skipped. Pure: time arrives on each event, and what happened
 * leaves as emitted `behavior` and `prompt` events for the engine to score, store and send.
 */
export function createConversationMachine(flow: ConversationFlow) {
  const greetingOption = (id: string) => flow.greeting.options.find((o) => o.id === id);
  const ctaOption = (id: string) => flow.cta.options.find((o) => o.id === id);

  return setup({
    types: {
      context: {} as ConversationContext,
      events: {} as ConversationEvent,
      input: {} as ConversationInput,
      emitted: {} as ConversationEmitted,
    },
    guards: {
      greetingIs: ({ event }, next: 'questions' | 'about' | 'declined') => {
        assertEvent(event, 'visitor.greeting');
        return greetingOption(event.optionId)?.next === next;
      },
      validAnswer: ({ context, event }) => {
        assertEvent(event, 'visitor.answer');
        return checkAnswer(flow, context, event) === null;
      },
      /**
       * Once the questions are behind the visitor, an answer may still be changed, but not to one that
       * changes the path (it would put new questions, or leave answered ones off it).
       */
      validAnswerKeepingPath: ({ context, event }) => {
        assertEvent(event, 'visitor.answer');
        return checkAnswer(flow, context, event) === null && keepsPath(flow, context, event);
      },
      /** Every question of the round on the visitor's path is answered or skipped. */
      questionsDone: ({ context }) => nextUnanswered(flow, context) === null,
      skippable: ({ context, event }) => {
        assertEvent(event, 'visitor.skip');
        return canSkipQuestion(flow, context, event.questionId);
      },
      skipsContact: ({ event }) => {
        assertEvent(event, 'visitor.skip');
        return event.questionId === flow.contact.questionId;
      },
      contactGiven: ({ event }) => {
        assertEvent(event, 'visitor.contact');
        return Boolean(event.hasEmail || event.hasPhone);
      },
      validAction: ({ event }) => {
        assertEvent(event, 'visitor.action');
        if (event.targetId === undefined) return true;
        if (event.action === 'clicked_product') return flow.products.some((p) => p.id === event.targetId);
        if (event.action === 'cta_clicked') return ctaOption(event.targetId) !== undefined;
        return false;
      },
      ctaIs: ({ event }, action: 'complete' | 'restart' | 'human_help') => {
        assertEvent(event, 'visitor.cta');
        return ctaOption(event.ctaId)?.action === action;
      },
    },
    actions: {
      /** Runs last in every visitor transition, so latency is measured from the previous event. */
      touch: assign({ lastEventAt: ({ event }) => event.at, resuming: false }),
      /** Back from idle: the re-entered step must not put its prompt again before handling the event. */
      resume: assign({ resuming: true }),
      behavior: enqueueActions(({ event, enqueue }, behavior: 'replied_to_greeting') => {
        enqueue.emit({ type: 'behavior', behavior, at: event.at });
      }),
      recordAnswer: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'visitor.answer');
        const since = context.askedAt[event.questionId] ?? context.lastEventAt;
        enqueue.emit({
          type: 'behavior',
          behavior: 'answered_question',
          at: event.at,
          questionId: event.questionId,
          optionIds: event.optionIds ?? [],
          text: event.text ?? null,
          latencyMs: Math.max(0, event.at - since),
        });
        // The latest answer decides the path (a changed answer may take it another way).
        const { picks } = withPicks(context, event);
        if (!context.answered.includes(event.questionId)) {
          enqueue.assign({
            answered: [...context.answered, event.questionId],
            // A skipped question answered after all is answered.
            skipped: context.skipped.filter((id) => id !== event.questionId),
            picks,
          });
        } else enqueue.assign({ picks });
      }),
      recordSkip: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'visitor.skip');
        const { questionId } = event;
        enqueue.emit({ type: 'behavior', behavior: 'question_skipped', at: event.at, questionId });
        if (questionId !== flow.contact.questionId) {
          enqueue.assign({ skipped: [...context.skipped, questionId] });
        }
      }),
      askNext: enqueueActions(({ context, enqueue }) => {
        const next = nextUnanswered(flow, context);
        if (next === null) return;
        const at = context.lastEventAt;
        // Asking the same question again (a visitor back from idle) keeps the time it was first put.
        const askedAt = context.current === next ? context.askedAt : { ...context.askedAt, [next]: at };
        enqueue.assign({ current: next, askedAt });
        if (context.handoff === null && !context.resuming) {
          enqueue.emit({ type: 'prompt', at, step: 'questions', questionId: next });
        }
      }),
      prompt: enqueueActions(({ context, enqueue }, step: Exclude<Step, 'abandoned' | 'questions'>) => {
        if ((context.handoff === null && !context.resuming) || step === 'completed' || step === 'declined') {
          enqueue.emit({ type: 'prompt', at: context.lastEventAt, step });
        }
      }),
      /**
       * The round's questions on the visitor's path are behind them; only a round with none of them
       * skipped earns the bonus.
       */
      questionsDone: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({ completedQuestions: true, current: null });
        if (answeredPath(flow, context)) {
          enqueue.emit({ type: 'behavior', behavior: 'answered_all_questions', at: context.lastEventAt });
        }
      }),
      contact: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'visitor.contact');
        if (event.hasEmail || event.hasPhone) {
          enqueue.emit({
            type: 'behavior',
            behavior: 'shared_contact',
            at: event.at,
            email: Boolean(event.hasEmail),
            phone: Boolean(event.hasPhone),
          });
        }
      }),
      action: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'visitor.action');
        enqueue.emit({
          type: 'behavior',
          behavior: event.action,
          at: event.at,
          ...(event.targetId === undefined ? {} : { targetId: event.targetId }),
        });
      }),
      ctaChosen: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'visitor.cta');
        enqueue.emit({ type: 'behavior', behavior: 'cta_clicked', at: event.at, targetId: event.ctaId });
      }),
      restart: assign({ answered: [], skipped: [], picks: {}, current: null }),
      humanHelp: assign({ humanHelp: true }),
      dropout: enqueueActions(({ context, event, enqueue }) => {
        if (!context.completedQuestions)
          enqueue.emit({ type: 'behavior', behavior: 'early_dropout', at: event.at });
      }),
      takeover: assign({
        handoff: ({ event }) => {
          assertEvent(event, 'agent.takeover');
          return { agentId: event.agentId, at: event.at };
        },
      }),
      release: assign({ handoff: null }),
      /** After a release the visitor is shown again what the bot was waiting for. */
      repeatPrompt: enqueueActions(({ context, event, enqueue }, step: Step) => {
        if (step === 'questions' && context.current !== null) {
          enqueue.emit({ type: 'prompt', at: event.at, step, questionId: context.current });
        } else if (step === 'greeting' || step === 'contact' || step === 'cta') {
          enqueue.emit({ type: 'prompt', at: event.at, step });
        }
      }),
    },
  }).createMachine({
    id: 'conversation',
    context: ({ input }) => ({
      questionOrder: [...input.questionOrder],
      answered: [],
      picks: {},
      skipped: [],
      completedQuestions: false,
      current: null,
      askedAt: {},
      lastEventAt: input.startedAt,
      humanHelp: false,
      handoff: null,
      resuming: false,
    }),
    entry: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'behavior', behavior: 'session_opened', at: context.lastEventAt });
    }),
    initial: 'active',
    states: {
      active: {
        initial: 'greeting',
        on: {
          'visitor.contact': { guard: 'contactGiven', actions: ['contact', 'touch'] },
          'visitor.action': { guard: 'validAction', actions: ['action', 'touch'] },
          'agent.takeover': { actions: ['takeover', 'touch'] },
          'agent.release': { actions: ['release', 'touch'] },
          // The deadline is the server's event, not the visitor's: answer latency keeps counting.
          'session.idle': { target: 'abandoned', actions: ['dropout'] },
          // Leaving said out loud: the same as going idle, now.
          'visitor.exit': { target: 'abandoned', actions: ['dropout', 'touch'] },
        },
        states: {
          hist: { type: 'history', history: 'shallow' },
          greeting: {
            entry: { type: 'prompt', params: 'greeting' },
            on: {
              'visitor.greeting': [
                {
                  guard: { type: 'greetingIs', params: 'questions' },
                  target: 'questions',
                  actions: [{ type: 'behavior', params: 'replied_to_greeting' }, 'touch'],
                },
                {
                  guard: { type: 'greetingIs', params: 'about' },
                  target: 'about',
                  actions: [{ type: 'behavior', params: 'replied_to_greeting' }, 'touch'],
                },
                {
                  guard: { type: 'greetingIs', params: 'declined' },
                  target: '#conversation.declined',
                  actions: [{ type: 'behavior', params: 'replied_to_greeting' }, 'touch'],
                },
              ],
              'visitor.answer': {
                guard: 'validAnswer',
                target: 'questions',
                actions: ['recordAnswer', 'touch'],
              },
              'agent.release': {
                actions: ['release', { type: 'repeatPrompt', params: 'greeting' }, 'touch'],
              },
            },
          },
          about: {
            entry: { type: 'prompt', params: 'about' },
            always: { target: 'questions' },
          },
          questions: {
            entry: 'askNext',
            always: { guard: 'questionsDone', target: 'contact', actions: 'questionsDone' },
            on: {
              'visitor.answer': { guard: 'validAnswer', actions: ['recordAnswer', 'touch', 'askNext'] },
              'visitor.skip': { guard: 'skippable', actions: ['recordSkip', 'touch', 'askNext'] },
              'agent.release': {
                actions: ['release', { type: 'repeatPrompt', params: 'questions' }, 'touch'],
              },
            },
          },
          contact: {
            entry: { type: 'prompt', params: 'contact' },
            on: {
              // Submitting the form moves on, whatever it holds; only an e-mail or phone scores.
              'visitor.contact': { target: 'cta', actions: ['contact', 'touch'] },
              'visitor.skip': { guard: 'skipsContact', target: 'cta', actions: ['recordSkip', 'touch'] },
              'visitor.answer': { guard: 'validAnswerKeepingPath', actions: ['recordAnswer', 'touch'] },
              'agent.release': { actions: ['release', { type: 'repeatPrompt', params: 'contact' }, 'touch'] },
            },
          },
          cta: {
            entry: { type: 'prompt', params: 'cta' },
            on: {
              'visitor.cta': [
                {
                  guard: { type: 'ctaIs', params: 'complete' },
                  target: '#conversation.completed',
                  actions: ['ctaChosen', 'touch'],
                },
                {
                  guard: { type: 'ctaIs', params: 'human_help' },
                  target: '#conversation.completed',
                  actions: ['ctaChosen', 'humanHelp', 'touch'],
                },
                {
                  guard: { type: 'ctaIs', params: 'restart' },
                  target: 'questions',
                  actions: ['ctaChosen', 'restart', 'touch'],
                },
              ],
              'visitor.answer': { guard: 'validAnswerKeepingPath', actions: ['recordAnswer', 'touch'] },
              'agent.release': { actions: ['release', { type: 'repeatPrompt', params: 'cta' }, 'touch'] },
            },
          },
        },
      },
      abandoned: {
        // A visitor who comes back picks up where they left off; the event is then handled there.
        on: {
          'agent.takeover': { actions: ['takeover', 'touch'] },
          'agent.release': { actions: ['release', 'touch'] },
          'visitor.greeting': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          'visitor.answer': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          'visitor.contact': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          'visitor.action': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          'visitor.cta': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          'visitor.skip': { target: 'active.hist', actions: ['resume', raise(({ event }) => event)] },
          // Gone already: a second exit is taken (so that it can be recorded) and changes nothing.
          'visitor.exit': { actions: 'touch' },
        },
      },
      completed: { type: 'final', entry: { type: 'prompt', params: 'completed' } },
      declined: { type: 'final', entry: { type: 'prompt', params: 'declined' } },
    },
  });
}

/** Bump when a change makes stored snapshots unfit; they are then rebuilt from the event log. */
export const CONVERSATION_MACHINE_VERSION = 4;

export type ConversationMachine = ReturnType<typeof createConversationMachine>;
export type ConversationSnapshot = SnapshotFrom<ConversationMachine>;

/** The step a snapshot is at, as the API reports it. */
export function stepOf(snapshot: { value: unknown }): Step {
  const value = snapshot.value;
  if (typeof value === 'string') return value as Step;
  const active = (value as { active?: string }).active;
  return (active ?? 'greeting') as Step;
}
