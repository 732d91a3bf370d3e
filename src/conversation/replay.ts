import { isDeepStrictEqual } from 'node:util';
import { AppError } from '../errors.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { Workflow } from '../workflow/schema.js';
import type { VisitorCommand } from './commands.js';
import { type LiveSessions, read } from './live-sessions.js';
import { resumePrompt } from './prompting.js';
import type { EventOutcome } from './transition.js';
import type { EventResult } from './types.js';

/**
 * The answer to a visitor message whose clientMessageId is already stored: what the first one was told,
 * and the prompt the bot waits on now; the same id with another message is `duplicate_mismatch`.
 */
export async function replayMessage(
  workflow: Workflow,
  store: Pick<SessionStore, 'findMessage' | 'lastEvent'>,
  sessions: Pick<LiveSessions, 'load'>,
  sessionId: string,
  command: VisitorCommand,
  clientMessageId: string,
): Promise<EventResult> {
  const stored = await read(() => store.findMessage(sessionId, clientMessageId));
  if (!stored?.result) throw new AppError('unavailable', 'The original message could not be read back.');
  const original = (stored.data as { command?: unknown }).command;
  if (!isDeepStrictEqual(original, command)) {
    throw new AppError('duplicate_mismatch', undefined, { clientMessageId });
  }
  // A retry after a lost response is told again what the bot now waits for.
  const { lead, live } = await sessions.load(sessionId);
  const prompt = await resumePrompt(workflow, store, lead, live);
  const outcome = stored.result as unknown as EventOutcome;
  return { sessionId, seq: stored.seq, ...outcome, prompts: [prompt], duplicate: true };
}
