import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACTIVITY_STEP_MS, VisitorPresence } from '../../src/agents/presence.js';
import { LocalEventBus } from '../../src/scaling/bus.js';
import { LocalSessionRegistry } from '../../src/scaling/registry.js';

/** The registry as a node has it, counting what presence writes to it. */
class CountingRegistry extends LocalSessionRegistry {
  touches = 0;
  override touch(sessionId: string, at: number): Promise<void> {
    this.touches += 1;
    return super.touch(sessionId, at);
  }
}

describe('visitor presence', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("records a connection's activity in the registry at most once per step, not once per event", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const registry = new CountingRegistry('n1');
    const presence = new VisitorPresence(registry, new LocalEventBus('n1'), pino({ level: 'silent' }));
    const visit = presence.opened('sess_a');
    // A journey's events, moments apart: the connection's opening already stands for them.
    for (let i = 0; i < 9; i++) visit.active();
    expect(registry.touches).toBe(0);

    vi.setSystemTime(1_000_000 + ACTIVITY_STEP_MS);
    visit.active();
    visit.active();
    expect(registry.touches).toBe(1);
    await vi.waitFor(async () =>
      expect(await registry.list()).toEqual([
        expect.objectContaining({
          sessionId: 'sess_a',
          connections: 1,
          lastActivityAt: 1_000_000 + ACTIVITY_STEP_MS,
        }),
      ]),
    );
  });
});
