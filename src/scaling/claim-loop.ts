export interface ClaimLoopOptions<Row> {
  /** Claims the next rows (none: the queue is drained). It must not throw: it logs and answers `[]`. */
  claim: () => Promise<Row[]>;
  /** Settles one claimed row. It must not throw: it records the outcome itself. */
  handle: (row: Row) => Promise<void>;
  /** How often a round runs without being woken (the fallback when nobody wakes it). */
  pollMs: number;
}

/**
 * Drains a queue that every node shares (rows claimed with SKIP LOCKED): a round claims and settles
 * rows until none are left. One round runs at a time; a wake during a round runs another right after
 * it, so rows stored meanwhile are not left for the next poll.
 */
export class ClaimLoop<Row> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ClaimLoopOptions<Row>) {}

  /** Polls every `pollMs`, and runs a first round now. */
  start(): void {
    this.timer = setInterval(() => void this.wake(), this.options.pollMs);
    this.timer.unref();
    void this.wake();
  }

  /** Runs a round now (or right after the current one). Resolves when nothing claimable is left. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops polling and waits for the current round (which ends after the rows it has claimed). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.stopped) return;
        const rows = await this.options.claim();
        if (rows.length === 0) break;
        await Promise.all(rows.map((row) => this.options.handle(row)));
      }
    } while (this.again);
  }
}
