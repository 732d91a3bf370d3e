import { describe, expect, it } from 'vitest';
import {
  backAt,
  callbackSlots,
  describeTime,
  type Hours,
  hoursSchema,
  isOpen,
  nextOpening,
  zonedInstant,
} from '../../src/routing/hours.js';
import { parseRouting, RoutingError } from '../../src/routing/rules.js';

/** Business hours: the schedule's maths in the team's zone, and its validation in the routing file. */

const india = hoursSchema.parse({
  timeZone: 'Asia/Kolkata',
  weekly: {
    mon: [
      ['09:00', '13:00'],
      ['14:00', '18:00'],
    ],
    tue: [['09:00', '18:00']],
    wed: [['09:00', '18:00']],
    thu: [['09:00', '18:00']],
    fri: [['09:00', '18:00']],
  },
  holidays: ['2026-12-25'],
});
// IST is UTC+5:30 all year.
const ist = (iso: string) => Date.parse(`${iso}+05:30`);

describe('business hours', () => {
  it('is open inside a range and closed between ranges, at night and on weekends', () => {
    expect(isOpen(india, ist('2026-11-30T09:00:00'))).toBe(true); // a Monday
    expect(isOpen(india, ist('2026-11-30T13:30:00'))).toBe(false); // lunch
    expect(isOpen(india, ist('2026-11-30T17:59:00'))).toBe(true);
    expect(isOpen(india, ist('2026-11-30T18:00:00'))).toBe(false);
    expect(isOpen(india, ist('2026-12-05T11:00:00'))).toBe(false); // Saturday
    expect(isOpen(undefined, ist('2026-12-05T03:00:00'))).toBe(true); // no hours: always open
  });

  it('finds the next opening across a weekend, in the team zone', () => {
    const friday = ist('2026-12-04T22:00:00');
    expect(nextOpening(india, friday)).toEqual({
      opensAt: ist('2026-12-07T09:00:00'),
      closesAt: ist('2026-12-07T13:00:00'),
    });
    expect(backAt(india, friday)?.opensAt).toBe(Date.parse('2026-12-07T03:30:00Z'));
    expect(describeTime(ist('2026-12-07T09:00:00'), 'Asia/Kolkata')).toBe('Monday 9:00 IST');
    // While open, nothing to wait for.
    expect(backAt(india, ist('2026-12-07T10:00:00'))).toBeNull();
  });

  it('skips holidays', () => {
    // Thursday 24 December after hours: Christmas is a holiday, so Friday 26th... is a Saturday: Monday 28th.
    expect(nextOpening(india, ist('2026-12-24T19:00:00'))?.opensAt).toBe(ist('2026-12-28T09:00:00'));
    expect(isOpen(india, ist('2026-12-25T10:00:00'))).toBe(false);
  });

  it('follows summer time in zones that have it', () => {
    const london = hoursSchema.parse({ timeZone: 'Europe/London', weekly: { mon: [['09:00', '17:00']] } });
    // Winter: 09:00 GMT; summer: 09:00 BST = 08:00 UTC.
    expect(nextOpening(london, Date.parse('2026-01-03T00:00:00Z'))?.opensAt).toBe(
      Date.parse('2026-01-05T09:00:00Z'),
    );
    expect(nextOpening(london, Date.parse('2026-07-04T00:00:00Z'))?.opensAt).toBe(
      Date.parse('2026-07-06T08:00:00Z'),
    );
    // 01:30 on the night the clocks go forward does not exist: it moves past the gap.
    expect(zonedInstant('2026-03-29', 90, 'Europe/London')).toBe(Date.parse('2026-03-29T01:30:00Z'));
    const ny = zonedInstant('2026-11-30', 9 * 60, 'America/New_York');
    expect(ny).toBe(Date.parse('2026-11-30T14:00:00Z'));
  });

  it('joins ranges that meet at midnight into one opening', () => {
    const nights: Hours = hoursSchema.parse({
      timeZone: 'UTC',
      weekly: { mon: [['20:00', '24:00']], tue: [['00:00', '04:00']] },
    });
    expect(nextOpening(nights, Date.parse('2026-11-30T12:00:00Z'))).toEqual({
      opensAt: Date.parse('2026-11-30T20:00:00Z'),
      closesAt: Date.parse('2026-12-01T04:00:00Z'),
    });
    expect(isOpen(nights, Date.parse('2026-12-01T01:00:00Z'))).toBe(true);
  });

  it('offers callback slots in the first hours of the next opening', () => {
    const opening = nextOpening(india, ist('2026-12-04T22:00:00'))!;
    expect(callbackSlots(opening, ist('2026-12-04T22:00:00'))).toEqual([
      ist('2026-12-07T09:00:00'),
      ist('2026-12-07T10:00:00'),
      ist('2026-12-07T11:00:00'),
    ]);
    // Under way: from the next whole hour, and never past closing.
    const now = ist('2026-12-07T11:20:00');
    expect(callbackSlots(nextOpening(india, now)!, now, 5)).toEqual([ist('2026-12-07T12:00:00')]);
  });

  it('a schedule that never opens has no next opening', () => {
    const never = hoursSchema.parse({ timeZone: 'UTC', weekly: {} });
    expect(nextOpening(never, Date.parse('2026-11-30T00:00:00Z'))).toBeNull();
    expect(isOpen(never, Date.parse('2026-11-30T00:00:00Z'))).toBe(false);
  });

  it('the routing file validates hours and names every bad path', () => {
    const file = (hours: unknown) => ({ teams: [{ name: 'sales', hours }], defaultTeam: 'sales' });
    expect(() =>
      parseRouting(
        file({
          timeZone: 'Mars/Olympus',
          weekly: {
            mon: [['18:00', '09:00']],
            tue: [
              ['09:00', '12:00'],
              ['11:00', '13:00'],
            ],
            fun: [],
          },
          holidays: ['2026-02-30'],
        }),
      ),
    ).toThrow(RoutingError);
    let message = '';
    try {
      parseRouting(
        file({
          timeZone: 'Mars/Olympus',
          weekly: {
            mon: [['18:00', '09:00']],
            tue: [
              ['09:00', '12:00'],
              ['11:00', '13:00'],
            ],
            wed: [['9:00', '25:00']],
          },
          holidays: ['2026-02-30'],
        }),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('teams[0].hours.timeZone');
    expect(message).toContain('teams[0].hours.weekly.mon[0]');
    expect(message).toContain('teams[0].hours.weekly.tue');
    expect(message).toContain('teams[0].hours.weekly.wed[0][0]');
    expect(message).toContain('teams[0].hours.holidays[0]');
    const ok = parseRouting(file({ timeZone: 'Asia/Kolkata', weekly: { mon: [['09:00', '18:00']] } }));
    expect(ok.teams[0]!.hours?.weekly.mon).toEqual([[540, 1080]]);
  });
});
