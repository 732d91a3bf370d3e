import secureJson from 'secure-json-parse';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ThreadMessage, WhatsAppStore } from './store.js';
import { readNotification, signatureValid, webhookPayload } from './webhook.js';

export interface WhatsAppDoorOptions {
  verifyToken: string;
  appSecret: string;
  phoneNumberId: string;
  store: WhatsAppStore;
  /** Wakes this node's processor after messages were stored. */
  wake: () => void;
  logger: Logger;
}

/**
 * The WhatsApp door's front: Meta's verification of the webhook, and its notifications, which are
 * checked against the app secret, stored (each message once, by its id) and only then answered; they
 * are processed afterwards (./processor.ts).
 */
export class WhatsAppDoor {
  constructor(private readonly options: WhatsAppDoorOptions) {}

  /** Meta's subscription check: the challenge back when the mode and the token are right. */
  verify(query: { 'hub.mode'?: string; 'hub.verify_token'?: string; 'hub.challenge'?: string }): string {
    const { verifyToken } = this.options;
    if (
      query['hub.mode'] !== 'subscribe' ||
      query['hub.verify_token'] !== verifyToken ||
      !query['hub.challenge']
    )
      throw new AppError('forbidden', 'The verify token does not match.');
    return query['hub.challenge'];
  }

  /**
   * A notification, as the raw bytes Meta signed. Refused `unauthorized` (nothing stored) unless
   * `signature` is their HMAC under the app secret. Resolves once what it carries is committed.
   */
  async receive(raw: Buffer, signature: string | undefined): Promise<{ messages: number; statuses: number }> {
    if (!signatureValid(raw, signature, this.options.appSecret))
      throw new AppError('unauthorized', 'The X-Hub-Signature-256 header does not match the body.');
    let json: unknown;
    try {
      json = secureJson.parse(raw.toString('utf8'), undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
    } catch {
      throw new AppError('malformed_request', 'The notification is not valid JSON.');
    }
    const parsed = webhookPayload.safeParse(json);
    if (!parsed.success)
      throw new AppError('validation_failed', 'Not a WhatsApp Business Account notification.');
    const { messages, statuses } = readNotification(parsed.data, this.options.phoneNumberId);
    const added = await this.options.store.storeInbound(messages, statuses);
    if (added > 0) this.options.wake();
    this.options.logger.debug(
      { messages: messages.length, added, statuses: statuses.length },
      'WhatsApp notification',
    );
    return { messages: added, statuses: statuses.length };
  }

  /** A session's WhatsApp messages both ways, sent ones with their delivery statuses. */
  thread(sessionId: string): Promise<ThreadMessage[]> {
    return this.options.store.thread(sessionId);
  }
}
