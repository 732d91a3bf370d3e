import type { Socket } from 'socket.io-client';
import type { ChatClientToServerEvents, ChatServerToClientEvents, VisitorAck } from '../protocol/index.js';

/**
 * The widget's link to the server: replies that wait for the connection, and the visitor's typing.
 * A reply gets its clientMessageId once; it is sent when the socket is connected and sent again, with
 * the same id, after every reconnection until it is acknowledged. The server takes an id once (a second
 * delivery is answered `duplicate: true`), so a reply typed offline, or one whose acknowledgement was
 * lost with the connection, is recorded exactly once.
 */

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;
type Queued = 'visitor:reply' | 'visitor:contact';

interface Pending {
  event: Queued;
  payload: { clientMessageId: string };
  done: (ack: VisitorAck) => void;
}

/** How long a sent reply waits for its acknowledgement before it is left to the next reconnection. */
const ACK_WAIT_MS = 10_000;

export function replyQueue(socket: ChatSocket) {
  const pending: Pending[] = [];
  const attempt = (p: Pending) => {
    if (!socket.connected) return;
    // The wire types key payloads by event; the queue holds both kinds alike.
    (socket.timeout(ACK_WAIT_MS) as unknown as { emit: (...a: unknown[]) => void }).emit(
      p.event,
      p.payload,
      (err: unknown, ack: VisitorAck) => {
        const i = pending.indexOf(p);
        if (i < 0) return;
        // No answer in time: again while connected (the server answers a repeat as a duplicate),
        // else on the next connection.
        if (err) return attempt(p);
        pending.splice(i, 1);
        p.done(ack);
      },
    );
  };
  socket.on('connect', () => {
    for (const p of [...pending]) attempt(p);
  });
  return {
    /** Sends (now, or once connected) until acknowledged; resolves with the acknowledgement. */
    send(event: Queued, payload: { clientMessageId: string }): Promise<VisitorAck> {
      return new Promise((done) => {
        const p = { event, payload, done };
        pending.push(p);
        attempt(p);
      });
    },
    /** Replies not yet acknowledged. */
    size: () => pending.length,
  };
}

/**
 * Tells the server the visitor is typing, at most once per `everyMs` while keys go down (`typing()`),
 * and that they stopped when the answer is sent (`stopped()`).
 */
export function typingReporter(socket: ChatSocket, everyMs = 2000) {
  let last = 0;
  return {
    typing() {
      const now = Date.now();
      if (now - last < everyMs || !socket.connected) return;
      last = now;
      socket.emit('visitor:typing', { typing: true });
    },
    stopped() {
      if (last === 0) return;
      last = 0;
      if (socket.connected) socket.emit('visitor:typing', { typing: false });
    },
  };
}
