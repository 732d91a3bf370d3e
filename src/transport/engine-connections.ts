/** The part of an engine.io connection the close needs. */
interface EngineConnection {
  readonly readyState: string;
  /** Without `discard`: sends what is buffered first, then the close packet. */
  close(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The open engine.io connections of a server, to close them without losing what is buffered for
 * them. Over HTTP long-polling a packet (an event's acknowledgement, the goodbye) waits in the
 * connection's buffer for the client's next request, and `engine.close()` discards that buffer: the
 * client of a committed event would never hear of it. Closing each connection in order lets that
 * request carry the buffer out first.
 */
export class EngineConnections {
  private readonly open = new Set<EngineConnection>();

  constructor(engine: {
    on(event: 'connection', listener: (connection: EngineConnection) => void): unknown;
  }) {
    engine.on('connection', (connection) => {
      this.open.add(connection);
      connection.once('close', () => this.open.delete(connection));
    });
  }

  /**
   * Closes every connection once its buffer is out and resolves when all are closed, or after
   * `graceMs` (a polling client that stopped polling would never collect it).
   */
  async closeFlushed(graceMs: number): Promise<void> {
    const closing = [...this.open].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.once('close', resolve);
          connection.close();
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closing),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
