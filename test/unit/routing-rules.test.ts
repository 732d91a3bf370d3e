import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { newLead } from '../../src/conversation/new-lead.js';
import type { LeadRow } from '../../src/persistence/rows.js';
import { capacityOf, loadRouting, parseRouting, teamFor } from '../../src/routing/rules.js';

/** The routing file: its validation, its default, and which team a lead goes to. */

const lead = (patch: Partial<LeadRow>): LeadRow => ({
  ...newLead('sess_1', {}, { variants: {}, questionOrder: [] }, Date.UTC(2026, 10, 30), 'v1'),
  ...patch,
});

const fileWith = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'routing-')), 'routing.json');
  writeFileSync(path, content);
  return path;
};

describe('the routing file', () => {
  it('defaults to one team, sales, of every agent, routed at SQL or human_help, 5 leads each', () => {
    const routing = loadRouting();
    expect(routing.teams).toEqual([{ name: 'sales', agents: '*', escalation: {} }]);
    expect(routing.triggers).toEqual(['sql', 'human_help']);
    expect(capacityOf(routing, 'anyone')).toBe(5);
    expect(teamFor(routing, lead({})).name).toBe('sales');
  });

  it('the example file is valid and sends each lead to the first matching team', () => {
    const routing = loadRouting('examples/routing.json');
    const to = (patch: Partial<LeadRow>) => teamFor(routing, lead(patch)).name;
    expect(to({ classification: 'SQL', score: 95 })).toBe('enterprise');
    expect(to({ classification: 'SQL', score: 70 })).toBe('sales');
    expect(to({ utmCampaign: 'Enterprise-Q4', currentPage: 'https://shop.example/pricing/annual?x=1' })).toBe(
      'enterprise',
    );
    // `/pricing` is a path: /pricing-old is another page.
    expect(to({ utmCampaign: 'enterprise-q4', currentPage: 'https://shop.example/pricing-old' })).toBe(
      'sales',
    );
    expect(to({ utmCampaign: 'enterprise-q4' })).toBe('sales');
    expect(to({ locale: 'hi-IN' })).toBe('hindi');
    expect(to({ locale: 'hu' })).toBe('sales');
    expect(capacityOf(routing, 'agent-3')).toBe(2);
    expect(capacityOf(routing, 'agent-1')).toBe(5);
  });

  it('matches on score bounds, UTM source and medium, and business type, all conditions together', () => {
    const routing = parseRouting({
      teams: [{ name: 'retail' }, { name: 'rest' }],
      defaultTeam: 'rest',
      rules: [
        {
          team: 'retail',
          match: {
            minScore: 40,
            maxScore: 80,
            utmSource: ['google'],
            utmMedium: ['cpc'],
            businessType: ['Kirana / Retail Shop'],
          },
        },
      ],
    });
    const base = { score: 50, utmSource: 'Google', utmMedium: 'cpc', businessType: 'kirana / retail shop' };
    expect(teamFor(routing, lead(base)).name).toBe('retail');
    expect(teamFor(routing, lead({ ...base, score: 81 })).name).toBe('rest');
    expect(teamFor(routing, lead({ ...base, score: 39 })).name).toBe('rest');
    expect(teamFor(routing, lead({ ...base, utmMedium: null })).name).toBe('rest');
    expect(teamFor(routing, lead({ ...base, businessType: 'Restaurant' })).name).toBe('rest');
  });

  it('refuses a file with unknown teams, a duplicate team, bad bounds, unknown keys and triggers, naming each path', () => {
    const bad = {
      triggers: ['sql', 'sometimes'],
      teams: [{ name: 'sales' }, { name: 'sales' }, { name: 'Bad Name' }],
      defaultTeam: 'nobody',
      rules: [{ team: 'ghosts', match: { minScore: 90, maxScore: 10, colour: 'red' } }],
      maxActive: 0,
      agents: { 'agent-1': { maxActive: 'lots' } },
    };
    let message = '';
    try {
      parseRouting(bad, 'ROUTING_FILE /etc/routing.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ROUTING_FILE /etc/routing.json is not a valid routing file');
    for (const path of [
      'triggers[1]',
      'teams[2].name',
      'rules[0].match',
      'rules[0].match.maxScore',
      'maxActive',
      'agents["agent-1"].maxActive',
    ]) {
      expect(message, path).toContain(path);
    }
    // Checks across the file are reported once the shapes are right.
    const crossed = () =>
      parseRouting({
        teams: [{ name: 'sales' }, { name: 'sales' }],
        defaultTeam: 'nobody',
        rules: [{ team: 'ghosts', match: {} }],
      });
    expect(crossed).toThrow(/team "sales" is defined twice[\s\S]*teams\[1\]/);
    expect(crossed).toThrow(/no team "nobody"[\s\S]*defaultTeam/);
    expect(crossed).toThrow(/no team "ghosts"[\s\S]*rules\[0\]\.team/);
  });

  it('a bad ROUTING_FILE stops start-up, naming the file', async () => {
    const missing = join(tmpdir(), 'no-such-routing.json');
    const notJson = fileWith('{ teams: ');
    const invalid = fileWith(JSON.stringify({ teams: [], defaultTeam: 'sales' }));
    for (const [file, problem] of [
      [missing, 'could not be read as JSON'],
      [notJson, 'could not be read as JSON'],
      [invalid, 'is not a valid routing file'],
    ] as const) {
      const config = loadConfig({ ROUTING_FILE: file, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      await expect(createApp(config)).rejects.toThrow(`ROUTING_FILE ${file} ${problem}`);
    }
  });
});
