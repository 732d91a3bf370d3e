/**
 * A test client's memory of what happened, with waiting that fails instead of hanging: subclasses
 * change their state through `record`, and `until` resolves once a probe finds what it looks for.
 */
export class Recorder {
  private waiters: (() => void)[] = [];

  protected record(change: () => void): void {
    change();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with what `probe` returns once it is not undefined; rejects after `timeoutMs`. */
  until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (err) {
          clearTimeout(timer);
          reject(err);
          return;
        }
        if (value === undefined) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      check();
    });
  }
}
