import { Answer } from './answer.js';
import { Lead } from './lead.js';
import { ScoreEntry } from './score-entry.js';
import { SessionEvent } from './session-event.js';

export { Answer, Lead, ScoreEntry, SessionEvent };
export const entities = [Lead, Answer, ScoreEntry, SessionEvent];
