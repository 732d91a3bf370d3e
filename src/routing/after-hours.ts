import type { LeadRow } from '../persistence/rows.js';
import { backAt, callbackSlots, describeTime, nextOpening, type Opening, zonedInstant } from './hours.js';
import type { AgentPresenceRow } from './presence.js';
import { isMember, type Routing, teamFor } from './rules.js';

/**
 * The after-hours decision, made at the edge (the server, on its clock) and handed to the conversation
 * as data: whether a visitor who asks for a person gets a callback request instead, when the lead's
 * team is back, and which times to offer. Pure: presence and the clock come in as arguments.
 */
export interface AfterHours {
  team: string;
  /** Why: the team is outside its hours, or open with nobody of it online. */
  reason: 'closed' | 'nobody_online';
  timeZone: string;
  /** The opening the callback is for (epoch milliseconds). */
  opening: Opening;
  /** "Monday 9:00 IST": when the team is back, as the widget shows it. */
  back: string;
  /** Callback times to offer (epoch milliseconds, whole hours of the opening). */
  slots: number[];
}

const HOUR = 3_600_000;

/** The after-hours mode for a lead now; null when the lead's team is open with somebody online. */
export function afterHoursFor(
  routing: Routing,
  lead: LeadRow,
  agents: readonly AgentPresenceRow[],
  now: number,
  slotCount = 3,
): AfterHours | null {
  const team = teamFor(routing, lead);
  const timeZone = team.hours?.timeZone ?? 'UTC';
  const closedUntil = backAt(team.hours, now);
  if (!closedUntil) {
    if (agents.some((a) => a.status === 'online' && isMember(team, a.agentId))) return null;
    // Open, nobody online: a callback later in this opening (a whole hour at least 30 minutes away), else the next one.
    const current = team.hours ? nextOpening(team.hours, now) : { opensAt: now, closesAt: now + 8 * HOUR };
    let opening = current;
    let slots = opening ? callbackSlots(opening, now, slotCount, HOUR / 2) : [];
    if (slots.length === 0 && current && team.hours) {
      opening = nextOpening(team.hours, current.closesAt + 1);
      slots = opening ? callbackSlots(opening, now, slotCount) : [];
    }
    if (!opening || slots.length === 0) return null;
    return {
      team: team.name,
      reason: 'nobody_online',
      timeZone,
      opening,
      back: describeTime(slots[0]!, timeZone),
      slots,
    };
  }
  return {
    team: team.name,
    reason: 'closed',
    timeZone,
    opening: closedUntil,
    back: describeTime(closedUntil.opensAt, timeZone),
    slots: callbackSlots(closedUntil, now, slotCount),
  };
}

/**
 * A callback time the visitor typed ("10:30", "10am", "2:15 pm", "14"), read as a time of the opening's
 * day in the team's zone; null when it is not a time or falls outside the opening.
 */
export function typedCallbackTime(text: string, after: AfterHours): number | null {
  const m = /^\s*(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?\s*m?\.?\s*$/i.exec(text.slice(0, 40));
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const half = m[3]?.toLowerCase();
  if (minute > 59 || hour > 23 || (half && (hour < 1 || hour > 12))) return null;
  if (half === 'p' && hour < 12) hour += 12;
  if (half === 'a' && hour === 12) hour = 0;
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: after.timeZone }).format(after.opening.opensAt);
  const at = zonedInstant(day, hour * 60 + minute, after.timeZone);
  return at >= after.opening.opensAt && at < after.opening.closesAt ? at : null;
}
