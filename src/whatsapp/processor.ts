import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { ConversationEngine } from '../conversation/engine.js';
import { isStateRefusal } from '../conversation/prompting.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../notifications/outbox.js';
import { ClaimLoop } from '../scaling/claim-loop.js';
import { type DoorNote, noteTrigger, WHATSAPP_CHANNEL } from './channel.js';
import { commandOf } from './inbound.js';
import type { InboundRow, WhatsAppStore } from './store.js';

export interface ProcessorOptions {
  store: WhatsAppStore;
  engine: Pick<ConversationEngine, 'startSession' | 'handle' | 'view'>;
  /** Door notes (a message the conversation cannot take) are queued here. */
  outbox: Pick<Outbox, 'enqueue'>;
  /** Wakes the outbox's dispatchers after a door note was queued. */
  wake: () => void;
  logger: Logger;
  lockSeconds: number;
  pollMs: number;
  maxAttempts: number;
  backoffMs: number;
}

/** Refusals that end processing of a message, with a note to the visitor, rather than a retry. */
const REFUSED_HINT = 'Sorry, I could not take that. Please answer this:';
const UNREADABLE = 'Sorry, I can only read text and the buttons here. Please answer this:';

/**
 * Processes what the webhook stored, after it answered: every node runs one; messages are claimed with
 * SKIP LOCKED and a user's next message only once the one before it is done, so a message stored by a
 * node that died before processing it is processed by the next node (or the same one restarted) when
 * its claim runs out. A message's effect is idempotent: it reaches the engine with its inbox row as
 * the client message id.
 */
export class InboundProcessor {
  private readonly loop: ClaimLoop<InboundRow>;

  constructor(private readonly options: ProcessorOptions) {
    this.loop = new ClaimLoop({
      claim: () =>
        options.store.claim(20, options.lockSeconds).catch((err: unknown) => {
          options.logger.warn({ err }, 'could not claim WhatsApp messages');
          return [];
        }),
      handle: (row) => this.settle(row),
      pollMs: options.pollMs,
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Runs a round now (or right after the current one). Resolves when nothing claimable is left. */
  wake(): Promise<void> {
    return this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async settle(row: InboundRow): Promise<void> {
    const { store, logger } = this.options;
    const log = logger.child({ whatsappMessage: row.id });
    try {
      const { sessionId, outcome } = await this.process(row);
      await store.processed(row, sessionId, outcome);
      log.info({ sessionId, outcome }, 'WhatsApp message processed');
    } catch (err) {
      const last = row.attempts >= this.options.maxAttempts;
      const error = err instanceof Error ? err.message : String(err);
      const done = last
        ? store.processed(row, null, `failed: ${error}`)
        : store.retryLater(
            row,
            error,
            new Date(Date.now() + this.options.backoffMs * 2 ** (row.attempts - 1)),
          );
      await done.catch((dbErr: unknown) => log.warn({ err: dbErr }, 'could not record a processing outcome'));
      log.warn(
        { err, attempt: row.attempts },
        last ? 'WhatsApp message given up on' : 'WhatsApp message retried later',
      );
    }
  }

  /** The message's effect on its user's session (a first message, or one after the end, opens one). */
  private async process(row: InboundRow): Promise<{ sessionId: string; outcome: string }> {
    const { store, engine } = this.options;
    const known = await store.sessionOf(row.waId);
    const view = known ? await engine.view(known).catch(notFound) : null;
    if (!known || !view || view.state === 'completed' || view.state === 'declined') {
      // Tried before: the session may have started then, its link not written (its node died in between).
      const orphan = row.attempts > 1 ? await store.unlinkedSession(row.waId) : null;
      if (orphan) {
        await store.link(row.waId, orphan);
        return { sessionId: orphan, outcome: 'started' };
      }
      const started = await engine.startSession({
        channel: 'whatsapp',
        phone: `+${row.waId}`,
        utmSource: 'whatsapp',
      });
      await store.link(row.waId, started.sessionId);
      return { sessionId: started.sessionId, outcome: 'started' };
    }
    const sessionId = known;
    const command = commandOf(row.message, view.prompt, `+${row.waId}`);
    if (!command) {
      await this.note(row, sessionId, UNREADABLE, view.prompt);
      return { sessionId, outcome: 'unreadable' };
    }
    try {
      await engine.handle(sessionId, command, `wa:${row.id}`, undefined, await this.sentAt(sessionId, row));
      return { sessionId, outcome: 'handled' };
    } catch (err) {
      if (!isStateRefusal(err) && !(err instanceof AppError && err.code === 'required_question')) throw err;
      // While an agent holds the session the bot says nothing: the agent reads the message.
      if (view.prompt) await this.note(row, sessionId, REFUSED_HINT, (await engine.view(sessionId)).prompt);
      return { sessionId, outcome: `refused: ${err.code}` };
    }
  }

  /**
   * When the visitor answered, as the engine should count it: the reply's latency runs from when the
   * prompt it answers went out, not from when it was committed, nor from when this node got to it.
   */
  private async sentAt(sessionId: string, row: InboundRow): Promise<number> {
    const last = await this.options.store.lastPromptSent(sessionId);
    if (!last) return row.sentAt.getTime();
    return last.promptAt.getTime() + Math.max(0, row.sentAt.getTime() - last.sentAt.getTime());
  }

  private async note(
    row: InboundRow,
    sessionId: string,
    text: string,
    prompt: DoorNote['prompt'] | null,
  ): Promise<void> {
    const note: DoorNote = { text, ...(prompt ? { prompt } : {}) };
    try {
      await this.options.outbox.enqueue(
        sessionId,
        noteTrigger(row.id),
        [WHATSAPP_CHANNEL],
        JSON.stringify(note),
      );
    } catch (err) {
      // Queued already, by an earlier attempt at this message that did not get to record its outcome.
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
    }
    this.options.wake();
  }
}

function notFound(err: unknown): null {
  if (err instanceof AppError && err.code === 'session_not_found') return null;
  throw err;
}
