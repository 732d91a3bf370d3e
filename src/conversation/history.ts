import type { HistoryLine } from '../protocol/chat.js';
import { TranscriptReader } from '../web/transcript.js';
import type { SessionEventMessage } from './events.js';

/**
 * What a visitor's widget shows of the conversation so far when it opens on a session (a reload, another
 * tab): the bot's prompts, the visitor's own answers (as the labels of the options picked) and the agents'
 * messages, each with its time and its place in the log. Read from the session's event log with the same
 * reader as the agent console's transcript (src/web/transcript.ts), so both word a line alike.
 */

/** At most this many lines (the latest), so that a long conversation keeps the handshake small. */
export const HISTORY_LIMIT = 200;
/** How many of a session's last events the history is read from (page views and scores included). */
export const HISTORY_EVENTS = 2000;
/** A line's text is cut to this many characters. */
const TEXT_LIMIT = 2000;

/** The visitor commands that are answers in the chat. */
const SAID = new Set(['reply', 'answer', 'contact']);

/** The visitor's history from the session's event log, in `seq` order, bounded to the latest lines. */
export function visitorHistory(events: SessionEventMessage[], limit = HISTORY_LIMIT): HistoryLine[] {
  const reader = new TranscriptReader();
  const lines: HistoryLine[] = [];
  for (const e of events) {
    const line = reader.read(e);
    if (!line || (line.who !== 'bot' && line.who !== 'visitor' && line.who !== 'agent')) continue;
    const command = e.data.command as { kind?: string; skip?: boolean } | undefined;
    // Only what the visitor said in the chat: not page views, clicks or profile updates of the page.
    if (line.who === 'visitor' && !SAID.has(command?.kind ?? '')) continue;
    const text = command?.kind === 'contact' && command.skip ? 'Skip' : line.text;
    if (!text) continue;
    lines.push({ seq: e.seq, who: line.who, text: text.slice(0, TEXT_LIMIT), at: e.at });
  }
  return lines.slice(-limit);
}
