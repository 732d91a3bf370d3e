/**
 * The rows of a conversation as the engine holds them, the unit one event commits, and the errors a
 * commit may end in: what the store, the batch writer and their callers share.
 */
import type { ILead } from './entities/lead.js';

/** The lead row as the engine holds it (relations excluded). */
export type LeadRow = Omit<ILead, never>;

export interface EventRow {
  seq: number;
  type: string;
  at: Date;
  data: Record<string, unknown>;
  clientMessageId?: string | null;
  result?: Record<string, unknown> | null;
}

export interface LedgerRow {
  behavior: string;
  points: number;
  onceKey: string;
  evidence: Record<string, unknown>;
  eventSeq: number;
  at: Date;
}

export interface AnswerRow {
  questionId: number;
  questionText: string;
  answer: string;
  optionIds: string[];
  latencyMs: number;
  clientTimeTaken: number | null;
  points: number;
  answeredAt: Date;
}

/**
 * Everything one event changes, as plain rows: committed together or not at all. `expectedVersion`
 * is the lead version the change was computed from (null: the lead is new).
 */
export interface CommitUnit {
  lead: LeadRow;
  expectedVersion: number | null;
  events: EventRow[];
  ledger: LedgerRow[];
  answers: AnswerRow[];
  /** Outbox rows the event's triggers call for, written in the same transaction. */
  notifications?: { trigger: string; channel: string }[];
  /** Experiment conversions the event's triggers count (once per lead, test and type). */
  conversions?: { testName: string; variant: string; conversionType: string }[];
}

/** The lead changed since it was read: the change was computed from stale state. */
export class VersionConflict extends Error {
  override name = 'VersionConflict';
}

/** A client message id already stored for this lead. */
export class DuplicateMessage extends Error {
  override name = 'DuplicateMessage';
}

export interface LeadFilter {
  classification?: string;
  state?: string;
  /** The first touch's source, medium and campaign. */
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** Active at or after — or one of `ids` (used together: recent or live). */
  activeSince?: Date;
  ids?: string[];
  sort?: 'score' | 'time';
  order?: 'asc' | 'desc';
  limit: number;
  offset?: number;
}

export interface StoredSession {
  lead: LeadRow;
  awardedKeys: string[];
  clientMessageIds: string[];
}
