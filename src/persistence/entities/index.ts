import { Answer } from './answer.js';
import { Conversion } from './conversion.js';
import { CrmLink } from './crm-link.js';
import { Lead } from './lead.js';
import { Notification } from './notification.js';
import { ScoreEntry } from './score-entry.js';
import { SessionEvent } from './session-event.js';
import { WorkflowRecord } from './workflow.js';

export { Answer, Conversion, CrmLink, Lead, Notification, ScoreEntry, SessionEvent, WorkflowRecord };
export const entities = [
  Lead,
  Answer,
  ScoreEntry,
  SessionEvent,
  Notification,
  Conversion,
  WorkflowRecord,
  CrmLink,
];
