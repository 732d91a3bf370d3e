import type { Logger } from '../logger.js';
import type { LeadRow, LedgerRow } from '../persistence/rows.js';
import type { EventBus } from '../scaling/bus.js';
import { ClaimLoop } from '../scaling/claim-loop.js';
import { type Channel, DeliveryError } from './delivery.js';
import { buildMessage } from './message.js';
import type { Outbox, OutboxRow } from './outbox.js';
import { TRANSCRIPT_TRIGGERS, transcriptSummary } from './transcript.js';

/** The bus channel that wakes dispatchers when the outbox got rows. */
export const NOTIFICATIONS_DUE = 'notifications-due';

export interface DispatcherOptions {
  outbox: Outbox;
  channels: ReadonlyMap<string, Channel>;
  /** The lead and its ledger as they stand when the message is built. */
  readLead: (leadId: string) => Promise<{ lead: LeadRow; ledger: LedgerRow[] }>;
  /** The lead's stored answers, for the triggers whose messages carry a transcript summary. */
  readAnswers?: (leadId: string) => Promise<{ questionText: string; answer: string; answeredAt: Date }[]>;
  bus: EventBus;
  logger: Logger;
  /** Base of console links (read when a message is built: the listening address is known late). */
  publicUrl: () => string;
  maxAttempts: number;
  backoffMs: number;
  lockSeconds: number;
  pollMs: number;
  batch?: number;
  /** Told of every outcome (metrics). */
  onOutcome?: (channel: string, outcome: 'sent' | 'retry' | 'dead') => void;
  random?: () => number;
}

/**
 * Sends what the outbox holds. Every node runs one; rows are claimed with SKIP LOCKED, so each goes
 * out once. Woken at once through the bus; polling is the fallback. Retries back off exponentially
 * with jitter; 429 waits as long as Retry-After says; permanent failures and the last attempt are
 * dead-lettered.
 */
export class Dispatcher {
  private readonly loop: ClaimLoop<OutboxRow>;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.loop = new ClaimLoop({
      claim: () =>
        options.outbox.claim(options.batch ?? 20, options.lockSeconds).catch((err: unknown) => {
          options.logger.warn({ err }, 'could not claim notifications');
          return [];
        }),
      handle: (row) => this.deliver(row),
      pollMs: options.pollMs,
    });
  }

  start(): void {
    this.unsubscribe = this.options.bus.subscribe(NOTIFICATIONS_DUE, () => this.wake());
    this.loop.start();
  }

  /** Runs a dispatch round now (or right after the current one). Resolves when the queue is drained. */
  wake(): Promise<void> {
    return this.loop.wake();
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const log = this.options.logger.child({
      sessionId: row.leadId,
      notification: row.id,
      channel: row.channel,
    });
    try {
      const channel = this.options.channels.get(row.channel);
      if (!channel) throw new DeliveryError(`channel ${row.channel} is not configured`, false);
      const { lead, ledger } = await this.options.readLead(row.leadId);
      const { readAnswers } = this.options;
      const transcript =
        readAnswers && (TRANSCRIPT_TRIGGERS.has(row.trigger) || channel.wantsTranscript)
          ? transcriptSummary(await readAnswers(row.leadId), lead.state)
          : undefined;
      await channel.send(
        buildMessage({ ...row, note: row.note ?? null }, lead, ledger, this.options.publicUrl(), transcript),
      );
      await this.options.outbox.sent(row);
      this.options.onOutcome?.(row.channel, 'sent');
      log.info({ trigger: row.trigger, attempt: row.attempts }, 'notification sent');
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, true);
      const retryAt =
        e.retryable && row.attempts < this.options.maxAttempts
          ? new Date(Date.now() + this.delay(row.attempts, e))
          : null;
      await this.options.outbox.failed(row, e.message, retryAt).catch((dbErr: unknown) => {
        // The claim's lock runs out and another round takes the row again.
        log.warn({ err: dbErr }, 'could not record a delivery outcome');
      });
      this.options.onOutcome?.(row.channel, retryAt ? 'retry' : 'dead');
      log.warn(
        { attempt: row.attempts, error: e.message, retryAt },
        retryAt ? 'notification will be retried' : 'notification dead-lettered',
      );
      if (retryAt) this.schedule(retryAt);
    }
  }

  /** Exponential backoff with ±50 % jitter; a 429's Retry-After wins. */
  private delay(attempts: number, e: DeliveryError): number {
    if (e.retryAfterMs !== undefined) return e.retryAfterMs;
    const base = this.options.backoffMs * 2 ** Math.max(0, attempts - 1);
    return Math.round(base * (0.5 + (this.options.random ?? Math.random)()));
  }

  /** Wakes up when a retry falls due, sooner than the next poll. */
  private schedule(at: Date): void {
    const ms = at.getTime() - Date.now();
    if (ms < this.options.pollMs) setTimeout(() => this.wake(), Math.max(0, ms) + 5).unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
  }
}
