import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { ConversationEngine } from '../conversation/engine.js';
import type { ChannelPolicy } from '../conversation/types.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../notifications/outbox.js';
import { WhatsAppChannel } from './channel.js';
import { WhatsAppDoor } from './door.js';
import { GraphClient } from './graph.js';
import { whatsappPolicy } from './policy.js';
import { InboundProcessor } from './processor.js';
import { WhatsAppStore } from './store.js';

/** The WhatsApp door of a node: its webhook front, its outbox channel and its inbox processor. */
export interface WhatsApp {
  door: WhatsAppDoor;
  /** The engine's rules for WhatsApp sessions (outbox deliveries, the customer-service window). */
  policy: ChannelPolicy;
  channel: WhatsAppChannel;
  /** Starts processing stored messages (once the engine and the outbox are up). */
  start(deps: { engine: ConversationEngine; outbox: Outbox; wake: () => void }): void;
  stop(): Promise<void>;
}

/** Builds the door from its configuration (null: the door is off). */
export function openWhatsApp(
  config: Pick<Config, 'whatsapp' | 'notifications'>,
  orm: MikroORM,
  logger: Logger,
): WhatsApp | null {
  const wa = config.whatsapp;
  if (!wa) return null;
  const log = logger.child({ door: 'whatsapp' });
  const store = new WhatsAppStore(orm);
  const graph = new GraphClient({
    graphUrl: wa.graphUrl,
    phoneNumberId: wa.phoneNumberId,
    accessToken: wa.accessToken,
    timeoutMs: config.notifications.timeoutMs,
  });
  let processor: InboundProcessor | null = null;
  const door = new WhatsAppDoor({
    verifyToken: wa.verifyToken,
    appSecret: wa.appSecret,
    phoneNumberId: wa.phoneNumberId,
    store,
    wake: () => void processor?.wake(),
    logger: log,
  });
  const n = config.notifications;
  return {
    door,
    policy: whatsappPolicy(store),
    channel: new WhatsAppChannel(store, graph),
    start({ engine, outbox, wake }) {
      processor = new InboundProcessor({
        store,
        engine,
        outbox,
        wake,
        logger: log,
        lockSeconds: n.lockSeconds,
        pollMs: n.pollSeconds * 1000,
        maxAttempts: n.maxAttempts,
        backoffMs: n.backoffMs,
      });
      processor.start();
    },
    async stop() {
      await processor?.stop();
    },
  };
}
