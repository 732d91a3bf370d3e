import { Answer } from './answer.js';
import { Conversion } from './conversion.js';
import { CrmLink } from './crm-link.js';
import { Lead } from './lead.js';
import { Notification } from './notification.js';
import { ScoreEntry } from './score-entry.js';
import { SessionEvent } from './session-event.js';
import { WhatsAppContact } from './whatsapp-contact.js';
import { WhatsAppInbound } from './whatsapp-inbound.js';
import { WhatsAppMessage } from './whatsapp-message.js';
import { WhatsAppStatus } from './whatsapp-status.js';
import { WorkflowRecord } from './workflow.js';

export {
  Answer,
  Conversion,
  CrmLink,
  Lead,
  Notification,
  ScoreEntry,
  SessionEvent,
  WhatsAppContact,
  WhatsAppInbound,
  WhatsAppMessage,
  WhatsAppStatus,
  WorkflowRecord,
};
export const entities = [
  Lead,
  Answer,
  ScoreEntry,
  SessionEvent,
  Notification,
  Conversion,
  WorkflowRecord,
  CrmLink,
  WhatsAppInbound,
  WhatsAppContact,
  WhatsAppMessage,
  WhatsAppStatus,
];
