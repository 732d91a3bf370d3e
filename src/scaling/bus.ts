import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { BusChannels } from '../protocol/bus.js';

/** Told each message of a channel, with the id of the node that published it. */
export type BusHandler<Payload> = (payload: Payload, from: string) => void;

/** Local event name for a resync; not a bus channel (channels cannot contain a space). */
const RESYNC = 'bus resync';

/**
 * Messages between the parts of the server, and between nodes when there are several. A message
 * reaches this node's own subscribers once, at once; other nodes get it through Redis. `Channels` maps
 * each channel to its payload (src/protocol/bus.ts).
 */
export interface EventBus<Channels = BusChannels> {
  readonly nodeId: string;
  publish<C extends keyof Channels & string>(channel: C, payload: Channels[C]): Promise<void>;
  /** Returns the unsubscribe. */
  subscribe<C extends keyof Channels & string>(channel: C, handler: BusHandler<Channels[C]>): () => void;
  /**
   * Called after the bus was cut off and is back (a Redis restart): messages may have been lost,
   * so whoever keeps state from them should catch up from the source of truth.
   */
  onResync(handler: () => void): () => void;
  close(): Promise<void>;
}

/** The single-node bus: an in-process emitter. */
export class LocalEventBus<Channels = BusChannels> implements EventBus<Channels> {
  protected readonly local = new EventEmitter().setMaxListeners(0);

  constructor(readonly nodeId: string) {}

  async publish<C extends keyof Channels & string>(channel: C, payload: Channels[C]): Promise<void> {
    this.deliver(channel, payload, this.nodeId);
  }

  subscribe<C extends keyof Channels & string>(channel: C, handler: BusHandler<Channels[C]>): () => void {
    this.local.on(channel, handler);
    return () => this.local.off(channel, handler);
  }

  onResync(handler: () => void): () => void {
    this.local.on(RESYNC, handler);
    return () => this.local.off(RESYNC, handler);
  }

  protected deliver(channel: string, payload: unknown, from: string): void {
    for (const handler of this.local.listeners(channel) as BusHandler<unknown>[]) {
      try {
        handler(payload, from);
      } catch {
        // one subscriber's failure is not the publisher's
      }
    }
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
  }
}

/**
 * The multi-node bus over Redis pub/sub. Channels live under the key prefix; each message carries
 * the node id, so a node skips its own echo (it delivered locally already). The subscriber is a
 * duplicate of the given client; both have error listeners and reconnect on their own.
 */
export class RedisEventBus<Channels = BusChannels> extends LocalEventBus<Channels> {
  private readonly sub: Redis;
  private readonly subscribed = new Set<string>();
  private closed = false;

  constructor(
    nodeId: string,
    private readonly pub: Redis,
    private readonly prefix: string,
    logger: Logger,
  ) {
    super(nodeId);
    this.sub = pub.duplicate({ enableAutoPipelining: false });
    this.sub.on('error', (err) => logger.warn({ err: err.message }, 'redis bus subscriber error'));
    let readyBefore = false;
    this.sub.on('ready', () => {
      if (readyBefore) {
        logger.info('redis bus subscriber is back; resyncing');
        // ioredis re-subscribes on reconnect; give it a moment before asking everyone to catch up.
        setTimeout(() => this.local.emit(RESYNC), 200).unref();
      }
      readyBefore = true;
    });
    // This node's own messages come back too; `publish` writes `from` first, so they are known unparsed.
    const echo = `{"from":${JSON.stringify(nodeId)},`;
    this.sub.on('message', (redisChannel: string, raw: string) => {
      if (raw.startsWith(echo)) return;
      let message: { from: string; payload: unknown };
      try {
        message = JSON.parse(raw);
      } catch {
        return;
      }
      if (message.from === this.nodeId) return;
      this.deliver(redisChannel.slice(this.prefix.length + 5), message.payload, message.from);
    });
  }

  private key(channel: string): string {
    return `${this.prefix}:bus:${channel}`;
  }

  override async publish<C extends keyof Channels & string>(channel: C, payload: Channels[C]): Promise<void> {
    this.deliver(channel, payload, this.nodeId);
    await this.pub.publish(this.key(channel), JSON.stringify({ from: this.nodeId, payload }));
  }

  override subscribe<C extends keyof Channels & string>(
    channel: C,
    handler: BusHandler<Channels[C]>,
  ): () => void {
    const off = super.subscribe(channel, handler);
    if (!this.subscribed.has(channel)) {
      this.subscribed.add(channel);
      // ioredis re-subscribes by itself after a reconnect.
      void this.sub.subscribe(this.key(channel)).catch(() => this.subscribed.delete(channel));
    }
    return off;
  }

  /** Resolves once the Redis subscriptions made so far are active. */
  async ready(): Promise<void> {
    if (this.subscribed.size > 0) await this.sub.subscribe(...[...this.subscribed].map((c) => this.key(c)));
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await super.close();
    this.sub.disconnect();
  }
}
