import { AppError } from '../errors.js';

/** The orders a lead list is read in, and the columns of each one's key (the last is always `id`). */
export type LeadSort = 'score' | 'time';
export type SortOrder = 'asc' | 'desc';

/** Counting stops here: beyond it a list's total is an estimate (`totalIsEstimate`). */
export const COUNT_CAP = 10_000;

/** Where a keyset page starts: after the row whose sort key is `key` (the database's own text of each column). */
export interface LeadCursor {
  sort: LeadSort;
  order: SortOrder;
  key: string[];
}

const KEY_KINDS: Record<LeadSort, ('int' | 'time' | 'id')[]> = {
  score: ['int', 'time', 'id'],
  time: ['time', 'id'],
};
const KIND_TEST = {
  int: (v: string) => /^-?\d{1,9}$/.test(v),
  time: (v: string) => v.length <= 40 && /^\d{4}-\d{2}-\d{2}[ T][\d:.]+([+-]\d{2}(:\d{2})?|Z)?$/.test(v),
  id: (v: string) => v.length <= 40,
};

/** The opaque cursor a client sends back for the next page: base64url of the order and the last row's key. */
export function encodeCursor(cursor: LeadCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.order, ...cursor.key])).toString('base64url');
}

/** The cursor a client sent; `validation_failed` when it is not one of ours or names another order. */
export function decodeCursor(text: string, sort: LeadSort, order: SortOrder): LeadCursor {
  const bad = (why: string) => new AppError('validation_failed', `cursor: ${why}`, { fields: ['cursor'] });
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor this server gave');
  }
  if (
    !Array.isArray(parts) ||
    !parts.every((p) => typeof p === 'string') ||
    (parts[0] !== 'score' && parts[0] !== 'time') ||
    (parts[1] !== 'asc' && parts[1] !== 'desc') ||
    parts.length !== 2 + KEY_KINDS[parts[0] as LeadSort].length
  )
    throw bad('not a cursor this server gave');
  if (parts[0] !== sort || parts[1] !== order)
    throw bad(`it continues sort=${parts[0]}&order=${parts[1]}; ask with the same sort and order`);
  const key = parts.slice(2) as string[];
  // Each part as its column takes it: an altered cursor is refused here, not by the database.
  const valid = KEY_KINDS[sort].every((kind, i) => KIND_TEST[kind](key[i]!));
  if (!valid) throw bad('not a cursor this server gave');
  return { sort, order, key };
}
