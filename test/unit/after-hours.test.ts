import { describe, expect, it } from 'vitest';
import { newLead } from '../../src/conversation/new-lead.js';
import type { LeadRow } from '../../src/persistence/rows.js';
import { afterHoursFor, typedCallbackTime } from '../../src/routing/after-hours.js';
import { callbackQuestion, offerFor } from '../../src/routing/callback-offer.js';
import type { AgentPresenceRow } from '../../src/routing/presence.js';
import { parseRouting } from '../../src/routing/rules.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import { callbackText } from '../../src/workflow/messages.js';
import { seedRules } from '../support/workflows.js';

/** The after-hours decision the server hands the conversation: when, why, and which callback times. */

const lead = (patch: Partial<LeadRow> = {}): LeadRow => ({
  ...newLead('sess_1', {}, { variants: {}, questionOrder: [] }, Date.UTC(2026, 10, 30), 'v1'),
  ...patch,
});
const ist = (iso: string) => Date.parse(`${iso}+05:30`);
const routing = parseRouting({
  teams: [
    {
      name: 'sales',
      agents: ['agent-1'],
      hours: {
        timeZone: 'Asia/Kolkata',
        weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '18:00']]])),
      },
    },
    { name: 'any', agents: '*' },
  ],
  rules: [{ team: 'any', match: { locale: ['ta'] } }],
  defaultTeam: 'sales',
});
const online: AgentPresenceRow[] = [{ agentId: 'agent-1', name: 'Asha', status: 'online' }];

describe('after hours', () => {
  it('at night the team is closed: back at the next opening, with its first hours offered', () => {
    const after = afterHoursFor(routing, lead(), online, ist('2026-12-04T22:00:00'))!;
    expect(after).toMatchObject({ team: 'sales', reason: 'closed', back: 'Monday 9:00 IST' });
    expect(after.slots).toEqual([
      ist('2026-12-07T09:00:00'),
      ist('2026-12-07T10:00:00'),
      ist('2026-12-07T11:00:00'),
    ]);
  });

  it('open with an agent of the team online: no after-hours mode', () => {
    expect(afterHoursFor(routing, lead(), online, ist('2026-12-07T10:00:00'))).toBeNull();
  });

  it('open but nobody of the team online (away counts as not): a callback later in the opening', () => {
    const away: AgentPresenceRow[] = [
      { agentId: 'agent-1', name: 'Asha', status: 'away' },
      { agentId: 'agent-9', name: 'Other', status: 'online' },
    ];
    const after = afterHoursFor(routing, lead(), away, ist('2026-12-07T16:20:00'))!;
    expect(after.reason).toBe('nobody_online');
    expect(after.slots).toEqual([ist('2026-12-07T17:00:00')]);
    // Too late for this opening: the next day's.
    const late = afterHoursFor(routing, lead(), away, ist('2026-12-07T17:30:00'))!;
    expect(late.slots[0]).toBe(ist('2026-12-08T09:00:00'));
    expect(late.back).toBe('Tuesday 9:00 IST');
  });

  it('a team without hours is after hours only with nobody online', () => {
    expect(afterHoursFor(routing, lead({ locale: 'ta' }), online, ist('2026-12-05T03:00:00'))).toBeNull();
    const nobody = afterHoursFor(routing, lead({ locale: 'ta' }), [], ist('2026-12-05T03:00:00'))!;
    expect(nobody).toMatchObject({ team: 'any', reason: 'nobody_online' });
    expect(nobody.slots.length).toBeGreaterThan(0);
  });

  it('reads a typed time in the team zone, only within the opening', () => {
    const after = afterHoursFor(routing, lead(), online, ist('2026-12-04T22:00:00'))!;
    expect(typedCallbackTime('10:30', after)).toBe(ist('2026-12-07T10:30:00'));
    expect(typedCallbackTime('2 pm', after)).toBe(ist('2026-12-07T14:00:00'));
    expect(typedCallbackTime('9am', after)).toBe(ist('2026-12-07T09:00:00'));
    expect(typedCallbackTime('17.45', after)).toBe(ist('2026-12-07T17:45:00'));
    for (const bad of ['8:00', '18:00', '7 pm', '25:00', '10:75', 'tomorrow', '13 pm', '=1+1', ''])
      expect(typedCallbackTime(bad, after)).toBeNull();
  });
});

describe('the callback offer as the visitor reads it', () => {
  const after = afterHoursFor(routing, lead(), online, ist('2026-12-04T22:00:00'))!;
  const builtIn = loadWorkflow();

  it('writes the times in the visitor’s language, English as in India by default', () => {
    expect(offerFor(after, 'en').slots.map((s) => s.label)).toEqual([
      'Monday 9:00 IST',
      'Monday 10:00 IST',
      'Monday 11:00 IST',
    ]);
    expect(offerFor(after, null).back).toBe('Monday 9:00 IST');
    expect(offerFor(after, 'ta').back).toBe('திங்கள் 9:00 IST');
    expect(offerFor(after, 'hi').slots[0]).toEqual({
      id: '2026-12-07T03:30:00.000Z',
      label: 'सोमवार 9:00 IST',
    });
  });

  it('asks with the workflow’s words in the session’s language, else the server’s', () => {
    const ta = callbackQuestion(builtIn, 'ta', offerFor(after, 'ta'));
    expect(ta).toMatchObject({ step: 'callback', input: 'callback', locale: 'ta' });
    expect(ta.text).toContain('திங்கள் 9:00 IST மீண்டும் வருவோம்');
    expect(ta.options).toHaveLength(3);
    // A workflow that gives no callback texts (the seed's rules) gets the server's English.
    expect(callbackText(seedRules, 'en', 'callbackConfirm', { time: 'Monday 10:00 IST' })).toBe(
      'Thank you! We will call you Monday 10:00 IST.',
    );
    expect(callbackText(builtIn, 'hi', 'callbackOutsideHours', { back: 'सोमवार 9:00 IST' })).toBe(
      'कृपया वह समय चुनिए जब हमारी टीम उपलब्ध हो, सोमवार 9:00 IST से।',
    );
  });
});
