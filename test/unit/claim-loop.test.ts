import { describe, expect, it } from 'vitest';
import { ClaimLoop } from '../../src/scaling/claim-loop.js';

/** A queue the loop drains, with a gate that holds a row's handling until the test lets it go. */
function queue() {
  const rows: number[] = [];
  const handled: number[] = [];
  let release: () => void = () => {};
  let gate: Promise<void> | null = null;
  const loop = new ClaimLoop<number>({
    claim: async () => rows.splice(0, 2),
    handle: async (row) => {
      if (gate) await gate;
      handled.push(row);
    },
    pollMs: 60_000,
  });
  return {
    rows,
    handled,
    loop,
    hold: () => {
      gate = new Promise((r) => (release = r));
    },
    release: () => {
      gate = null;
      release();
    },
  };
}

describe('ClaimLoop', () => {
  it('a round claims until nothing is left', async () => {
    const q = queue();
    q.rows.push(1, 2, 3, 4, 5);
    await q.loop.wake();
    expect(q.handled).toEqual([1, 2, 3, 4, 5]);
  });

  it('a wake during a round joins it, and rows stored meanwhile are taken before it resolves', async () => {
    const q = queue();
    q.rows.push(1);
    q.hold();
    const first = q.loop.wake();
    const second = q.loop.wake();
    q.rows.push(2);
    q.release();
    await Promise.all([first, second]);
    expect(q.handled).toEqual([1, 2]);
  });

  it('stop waits for the rows claimed, and claims nothing after', async () => {
    const q = queue();
    q.rows.push(1, 2, 3);
    q.hold();
    const round = q.loop.wake();
    const stopped = q.loop.stop();
    q.release();
    await Promise.all([round, stopped]);
    expect(q.handled).toEqual([1, 2]);
    await q.loop.wake();
    expect(q.handled).toEqual([1, 2]);
    expect(q.rows).toEqual([3]);
  });
});
