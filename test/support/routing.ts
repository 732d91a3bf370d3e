import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDatabase } from './database.js';
import { JOURNEY } from './journey.js';
import type { VisitorClient } from './sockets.js';
import { waitFor } from './time.js';

/** What the routing tests (test/integration/routing-*.test.ts) share. */

/** A ROUTING_FILE with `content`, in a folder of its own. */
export function routingFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'routing-')), 'routing.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

// Friday 27 November 2026, 22:00 in India (UTC+5:30): the team of `salesOnWeekdays` is closed.
export const FRIDAY_NIGHT = Date.parse('2026-11-27T22:00:00+05:30');
/** When that team opens again: Monday 30 November 2026, 9:00 in India. */
export const MONDAY_OPENING = Date.parse('2026-11-30T09:00:00+05:30');

/** A ROUTING_FILE with one team, `sales`, open 9:00–18:00 India time (Asia/Kolkata) Monday to Friday. */
export function salesOnWeekdays(): string {
  const hours = {
    timeZone: 'Asia/Kolkata',
    weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '18:00']]])),
  };
  return routingFile({ teams: [{ name: 'sales', hours }], defaultTeam: 'sales' });
}

/** The journey up to the CTA, then the `human_help` CTA: its acknowledgement. */
export async function askForAPerson(v: VisitorClient) {
  for (const [event, payload] of JOURNEY.slice(0, -1)) await v.say(event, payload);
  return v.say('visitor:reply', { optionIds: ['human_help'] });
}

/**
 * The environment of a server that routes only leads whose visitor asks for a person: for tests that
 * count a session's events right after the event that makes it SQL (routing would add its own just after).
 */
export function routingOnHumanHelp(): Record<string, string> {
  return {
    ROUTING_FILE: routingFile({ triggers: ['human_help'], teams: [{ name: 'sales' }], defaultTeam: 'sales' }),
  };
}

/** Walks the visitor through the whole journey (it becomes SQL on the way). */
export async function qualify(v: VisitorClient): Promise<string> {
  for (const [event, payload] of JOURNEY) await v.say(event, payload);
  return v.sessionId;
}

export interface Ownership {
  routed_at: Date | null;
  assigned_team: string | null;
  assigned_to: string | null;
  assigned_name: string | null;
  escalated_at: Date | null;
  sla_breached_at: Date | null;
  contacted_at: Date | null;
}

/** The lead's routing columns as stored. */
export async function ownership(db: TestDatabase, id: string): Promise<Ownership> {
  const [row] = await db.query<Ownership>(
    `select routed_at, assigned_team, assigned_to, assigned_name, escalated_at, sla_breached_at, contacted_at
       from leads where id = $1`,
    [id],
  );
  if (!row) throw new Error(`no lead ${id}`);
  return row;
}

/** The lead once it is routed (a commit routes it right after the one that made it reach its trigger). */
export function routed(db: TestDatabase, id: string): Promise<Ownership> {
  return waitFor(`lead ${id} routed`, async () => {
    const row = await ownership(db, id);
    return row.routed_at ? row : undefined;
  });
}

/** The routing events of the session log, in seq order. */
export async function routingLog(db: TestDatabase, id: string) {
  return db.query<{ seq: number; type: string; data: Record<string, unknown> }>(
    `select seq, type, data from session_events
      where lead_id = $1 and (type like 'lead.%' or type = 'agent.contacted') order by seq`,
    [id],
  );
}

/** The outbox rows of routing's announcements for a lead: trigger (assigned:<seq>, escalated, …) per channel. */
export async function routingNotifications(db: TestDatabase, id: string) {
  const rows = await db.query<{ trigger: string; channel: string }>(
    `select trigger, channel from notifications
      where lead_id = $1 and (trigger like 'assigned:%' or trigger in ('escalated', 'sla_breached'))
      order by id`,
    [id],
  );
  return rows.map((r) => `${r.trigger.replace(/:\d+$/, '')}/${r.channel}`);
}
