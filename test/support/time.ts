/**
 * Waiting, for tests and benchmarks alike (no test framework here): a pause, and a wait for a condition
 * that fails, naming what it waited for, instead of hanging.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves with what `check` returns once it is truthy, asking again every `everyMs`; rejects once `ms`
 * have passed without it, or at once when `check` throws.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
