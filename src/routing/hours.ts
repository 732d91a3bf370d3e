import { z } from 'zod';

/**
 * A team's business hours: an IANA time zone, a weekly schedule (per weekday, one or more open–close
 * ranges in the zone's wall-clock time) and holidays (dates in the zone, closed all day). Pure: every
 * function takes the instant it answers for (the server's clock, injected in tests). Time-zone maths
 * by Intl, so summer time follows the zone's rules.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day as HH:MM (00:00–24:00)')
  .transform((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5)));

const range = z
  .tuple([clock, clock])
  .refine(([open, close]) => open < close, { message: 'the range must close after it opens' });

const day = z
  .array(range)
  .max(12)
  .superRefine((ranges, ctx) => {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]![0] < sorted[i - 1]![1])
        ctx.addIssue({ code: 'custom', message: 'the ranges of a day must not overlap' });
  })
  .transform((ranges) => [...ranges].sort((a, b) => a[0] - b[0]));

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), { message: 'not a real date' });

export const timeZone = z
  .string()
  .min(1)
  .max(100)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not an IANA time zone (e.g. "Asia/Kolkata")' },
  );

export const hoursSchema = z.strictObject({
  timeZone,
  /** Per weekday (`mon` … `sun`): `[["09:00", "13:00"], ["14:00", "18:00"]]`; a day left out is closed. */
  weekly: z.partialRecord(z.enum(weekdays), day),
  /** Dates (YYYY-MM-DD, in the team's zone) closed all day. */
  holidays: z.array(isoDate).max(1000).default([]),
});
export type Hours = z.infer<typeof hoursSchema>;

/** One opening: from `opensAt` to `closesAt` (epoch milliseconds). */
export interface Opening {
  opensAt: number;
  closesAt: number;
}

interface Local {
  date: string;
  weekday: Weekday;
  minutes: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatIn(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(tz, f);
  }
  return f;
}

function partsAt(at: number, tz: string) {
  const p: Record<string, number> = {};
  for (const part of formatIn(tz).formatToParts(at))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return p as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(at: number, tz: string): number {
  const p = partsAt(at, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(at / 1000) * 1000;
}

/** The instant of a wall-clock time in the zone (a time skipped by a clock change moves past the gap). */
export function zonedInstant(date: string, minutes: number, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const first = wall - offsetAt(wall, tz);
  const offset = offsetAt(first, tz);
  if (wall - offset === first) return first;
  const second = wall - offset;
  // In a gap (the clock jumped over this time) neither guess holds: take the later, past the gap.
  return offsetAt(second, tz) === offset ? second : Math.max(first, second);
}

function localAt(at: number, tz: string): Local {
  const p = partsAt(at, tz);
  const date = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  const weekday = weekdays[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;
  return { date, weekday, minutes: p.hour * 60 + p.minute };
}

const nextDate = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The openings of one local date, in order (none on a holiday). */
function openingsOn(hours: Hours, date: string): Opening[] {
  if (hours.holidays.includes(date)) return [];
  const weekday = weekdays[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;
  return (hours.weekly[weekday] ?? []).map(([open, close]) => ({
    opensAt: zonedInstant(date, open, hours.timeZone),
    closesAt: zonedInstant(date, close, hours.timeZone),
  }));
}

/** Whether the team is open at `at`; a team without hours is always open. */
export function isOpen(hours: Hours | undefined, at: number): boolean {
  if (!hours) return true;
  const opening = nextOpening(hours, at);
  return opening !== null && opening.opensAt <= at;
}

/**
 * The opening under way at `at`, else the next one; null if the schedule never opens (in the next
 * 400 days). Ranges that meet (a day's `24:00` and the next day's `00:00`) are one opening.
 */
export function nextOpening(hours: Hours, at: number): Opening | null {
  let date = localAt(at - 86_400_000, hours.timeZone).date;
  let found: Opening | null = null;
  for (let i = 0; i < 402; i++, date = nextDate(date)) {
    for (const o of openingsOn(hours, date)) {
      if (found) {
        if (o.opensAt > found.closesAt) return found;
        found.closesAt = Math.max(found.closesAt, o.closesAt);
      } else if (o.closesAt > at) found = { ...o };
    }
  }
  return found;
}

/** When a closed team is back, and until when; null while it is open (or has no hours). */
export function backAt(hours: Hours | undefined, at: number): Opening | null {
  if (!hours) return null;
  const opening = nextOpening(hours, at);
  return opening && opening.opensAt > at ? opening : null;
}

/**
 * Callback times to offer in an opening: its first `count` whole hours from when it opens (or from the
 * next whole hour, if it is under way), each at least `lead` milliseconds after `at`.
 */
export function callbackSlots(opening: Opening, at: number, count = 3, lead = 0): number[] {
  const hour = 3_600_000;
  let t = Math.max(opening.opensAt, at + lead);
  if (t > opening.opensAt) t = opening.opensAt + Math.ceil((t - opening.opensAt) / hour) * hour;
  const slots: number[] = [];
  for (; slots.length < count && t < opening.closesAt; t += hour) slots.push(t);
  return slots;
}

/** "Monday 9:00 IST" formats by locale and zone: making one costs far more than using it. */
const described = new Map<string, Intl.DateTimeFormat>();
function describeFormat(tz: string, locale: string): Intl.DateTimeFormat {
  const key = `${locale}|${tz}`;
  let f = described.get(key);
  if (f) return f;
  const options = {
    timeZone: tz,
    weekday: 'long',
    hour: 'numeric',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  } as const;
  try {
    f = new Intl.DateTimeFormat(locale, options);
  } catch {
    f = new Intl.DateTimeFormat('en-IN', options);
  }
  // Zones and locales come from the routing file and the workflow: a handful, but never unbounded.
  if (described.size >= 256) described.clear();
  described.set(key, f);
  return f;
}

/** A time as the visitor is told it, in the team's zone: "Monday 9:00 IST". */
export function describeTime(at: number, tz: string, locale = 'en-IN'): string {
  const p = Object.fromEntries(
    describeFormat(tz, locale)
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.weekday} ${Number(p.hour)}:${p.minute} ${p.timeZoneName}`;
}

/** The local date and weekday of an instant in a zone (for tests and messages). */
export const localDate = (at: number, tz: string) => localAt(at, tz);

/** When the opening under way at `at` began (0 for a team without hours); null while the team is closed. */
export function openedAt(hours: Hours | undefined, at: number): number | null {
  if (!hours) return 0;
  const opening = nextOpening(hours, at);
  return opening && opening.opensAt <= at ? opening.opensAt : null;
}
