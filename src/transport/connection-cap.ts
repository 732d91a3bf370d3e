import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of an engine.io connection the cap needs: the handshake request and its end. */
interface EngineConnection {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * MAX_CONNECTIONS_PER_IP: open engine.io connections per client address on this node (both namespaces
 * share one engine.io connection per client). `admit` runs in engine.io's `allowRequest`, which sees
 * every handshake and nothing else: it holds a slot for the handshake, and `watch` keeps that slot
 * until the connection closes — the client leaves, the transport fails, a polling client stops polling
 * (ping timeout) or the server shuts down. A handshake that fails after `admit` never becomes a
 * connection; its slot goes back when its request ends. 0 turns the cap off.
 */
export class ConnectionCap {
  private readonly open = new Map<string, number>();
  /** Handshakes admitted but not yet connections, with the address their slot is counted under. */
  private readonly pending = new WeakMap<IncomingMessage, string>();

  constructor(
    private readonly max: number,
    private readonly addressOf: (req: IncomingMessage) => string,
  ) {}

  /** Takes a slot for a handshake; the refusal message when its address has none left. */
  admit(req: IncomingMessage): string | undefined {
    if (this.max === 0) return undefined;
    const address = this.addressOf(req);
    if (this.count(address) >= this.max) {
      return `Too many connections from this address: at most ${this.max} at a time.`;
    }
    this.add(address, 1);
    this.pending.set(req, address);
    // A polling handshake ends with its response; a WebSocket upgrade with its TCP connection.
    const ended = (req as IncomingMessage & { res?: ServerResponse }).res ?? req.socket;
    ended.once('close', () => {
      if (!this.pending.has(req)) return;
      this.pending.delete(req);
      this.add(address, -1);
    });
    return undefined;
  }

  /** Turns admitted handshakes into connections, counted until they close. */
  watch(engine: {
    on(event: 'connection', listener: (connection: EngineConnection) => void): unknown;
  }): void {
    if (this.max === 0) return;
    engine.on('connection', (connection) => {
      let address = this.pending.get(connection.request);
      if (address !== undefined) {
        this.pending.delete(connection.request);
      } else {
        // Its request ended before the connection was made (the slot went back): count it again.
        address = this.addressOf(connection.request);
        this.add(address, 1);
      }
      const counted = address;
      connection.once('close', () => this.add(counted, -1));
    });
  }

  /** Open connections (and admitted handshakes) of one address. */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }

  private add(address: string, delta: number): void {
    const n = this.count(address) + delta;
    if (n > 0) this.open.set(address, n);
    else this.open.delete(address);
  }
}
