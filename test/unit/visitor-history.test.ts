import { describe, expect, it } from 'vitest';
import type { SessionEventMessage } from '../../src/conversation/events.js';
import { visitorHistory } from '../../src/conversation/history.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();
let seq = 0;
const event = (type: string, data: Record<string, unknown>): SessionEventMessage => {
  seq += 1;
  return { sessionId: 's', seq, type, at: at(seq), data };
};

describe('the visitor history read from a session log', () => {
  it("keeps the bot's prompts, the visitor's answers as labels and agents' messages, with times", () => {
    seq = 0;
    const log = [
      event('bot.prompt', { text: 'Hi! Shall we?', options: [{ id: 'yes', label: 'Yes, go ahead' }] }),
      event('visitor.input', { command: { kind: 'page', url: 'https://shop.example/pricing' } }),
      event('visitor.input', { command: { kind: 'reply', optionIds: ['yes'] } }),
      event('state.changed', { from: 'greeting', to: 'business_type' }),
      event('score.changed', { awarded: [{ behavior: 'x', points: 5 }], score: 5, classification: 'cold' }),
      event('visitor.input', { command: { kind: 'action', action: 'clicked_demo' } }),
      event('agent.joined', { name: 'Asha' }),
      event('agent.message', { name: 'Asha', text: 'Hello' }),
      event('visitor.input', { command: { kind: 'contact', skip: true } }),
    ];
    expect(visitorHistory(log)).toEqual([
      { seq: 1, who: 'bot', text: 'Hi! Shall we?', at: at(1) },
      { seq: 3, who: 'visitor', text: 'Yes, go ahead', at: at(3) },
      { seq: 8, who: 'agent', text: 'Asha: Hello', at: at(8) },
      { seq: 9, who: 'visitor', text: 'Skip', at: at(9) },
    ]);
  });

  it('is bounded to the latest lines and cuts long texts', () => {
    seq = 0;
    const log = Array.from({ length: 300 }, (_, i) =>
      event('visitor.input', { command: { kind: 'reply', text: `${i}`.padEnd(5000, '.') } }),
    );
    const history = visitorHistory(log);
    expect(history).toHaveLength(200);
    expect(history[0]?.seq).toBe(101);
    expect(history.every((l) => l.text.length === 2000)).toBe(true);
  });
});
