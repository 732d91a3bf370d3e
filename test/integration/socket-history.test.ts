import { describe, expect, it } from 'vitest';
import { ASHA, agent, SECRET } from '../support/agents.js';
import { serverFor } from '../support/app.js';
import { openVisitor, visitor } from '../support/sockets.js';

/**
 * A resumed session's `session` event carries its conversation so far, read from the event log: the
 * bot's prompts, the visitor's answers by label, agents' messages with their names, each with its time.
 */
describe('the history of a resumed session', () => {
  const server = serverFor({ SECRET_KEY: SECRET });

  it('comes with the handshake of every new connection of the session, and not with a new session', async () => {
    const first = await visitor(server.url);
    expect((await first.hello()).history).toBeUndefined();
    await first.say('visitor:reply', { optionIds: ['yes'] });
    await first.say('visitor:reply', { text: 'wholesale / fmcg' });
    await first.ok('visitor:page', { clientMessageId: 'page-1', url: 'https://shop.example/pricing' });
    const asha = await agent(server.url, ASHA);
    await asha.ok('session:takeover', { sessionId: first.sessionId });
    await asha.ok('agent:message', { sessionId: first.sessionId, text: 'Hello <b>there</b>' });

    const again = openVisitor(server.url, { auth: { sessionId: first.sessionId } });
    const hello = await again.hello();
    expect(hello.resumed).toBe(true);
    const history = hello.history ?? [];
    expect(history.map(({ who, text }) => ({ who, text }))).toEqual([
      { who: 'bot', text: expect.stringContaining('YouShop assistant') },
      { who: 'visitor', text: 'Yes, go ahead' },
      { who: 'bot', text: 'What kind of business do you run?' },
      { who: 'visitor', text: 'wholesale / fmcg' },
      { who: 'bot', text: 'Which city or town is your business in?' },
      { who: 'agent', text: 'Asha: Hello <b>there</b>' },
    ]);
    const seqs = history.map((l) => l.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    for (const l of history) expect(Number.isNaN(Date.parse(l.at))).toBe(false);
  });
});
