import type { Step } from '../../machines/types.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { WorkflowRegistry } from '../workflow/registry.js';
import type { LiveSessions } from './live-sessions.js';
import type { KeyedQueue } from './session-queue.js';
import type { WritePath } from './write-path.js';

/** The states in which a session waits on the visitor (and so may go idle). */
const OPEN_STATES: readonly Step[] = ['greeting', 'about', 'questions', 'contact', 'cta'];

export interface IdleExpiryDeps {
  queue: KeyedQueue;
  writes: WritePath;
  sessions: LiveSessions;
  store: Pick<SessionStore, 'idleSessions'>;
  workflows: Pick<WorkflowRegistry, 'known'>;
  now: () => number;
  logger: Logger;
}

/**
 * Marks sessions idle past their workflow's deadline as abandoned (early_dropout); returns how many.
 * Each session is judged by the deadline of the workflow version it runs on; the search for
 * candidates uses the shortest deadline of the versions this node knows.
 */
export async function expireIdleSessions(d: IdleExpiryDeps, limit: number): Promise<number> {
  const deadline = (minutes: number) => new Date(d.now() - minutes * 60_000);
  const known = await d.workflows.known();
  const shortest = Math.min(...known.map((v) => v.workflow.idleMinutes));
  const ids = await d.store.idleSessions(OPEN_STATES, deadline(shortest), limit);
  let expired = 0;
  for (const id of ids) {
    const done = await d.queue
      .run(id, () =>
        d.writes.withRetries(id, async () => {
          const session = await d.sessions.load(id);
          const cutoff = deadline(session.flow.workflow.idleMinutes);
          if (session.lead.lastActivityAt >= cutoff || !OPEN_STATES.includes(session.lead.state as Step))
            return false;
          const at = d.now();
          await d.writes.run(session, {
            events: [{ type: 'session.idle', at }],
            input: { type: 'session.idle', data: {} },
            at,
            visitorActivity: false,
          });
          return true;
        }),
      )
      .catch((err: unknown) => {
        d.logger.warn({ sessionId: id, err }, 'could not expire idle session');
        return false;
      });
    if (done) expired += 1;
  }
  return expired;
}
