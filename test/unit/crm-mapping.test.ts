import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leaseBudget } from '../../src/crm/links.js';
import { DEFAULT_MAPPING, loadMapping, mapped } from '../../src/crm/mapping.js';
import { DeliveryError } from '../../src/notifications/delivery.js';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'crm-mapping-')), 'mapping.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe('the CRM field mapping', () => {
  it('is the defaults without a file; a file changes entries, adds some, and removes those it sets to null', () => {
    expect(loadMapping(undefined)).toBe(DEFAULT_MAPPING);
    const m = loadMapping(
      file({
        hubspot: { contact: { industry: null, company: 'custom.company' }, owners: { 'agent-1': '512' } },
        odoo: {
          lead: { partner_name: 'business_type', expected_revenue: 'custom.budget' },
          tags: { SQL: 'Hot' },
        },
      }),
    );
    expect(m.hubspot.contact.industry).toBeUndefined();
    expect(m.hubspot.contact).toMatchObject({
      company: 'custom.company',
      email: 'email',
      lcb_lead_score: 'lead_score',
    });
    expect(m.hubspot.owners).toEqual({ 'agent-1': '512' });
    expect(m.hubspot.deal).toEqual(DEFAULT_MAPPING.hubspot.deal);
    expect(m.odoo.lead).toMatchObject({
      partner_name: 'business_type',
      expected_revenue: 'custom.budget',
      email_from: 'email',
    });
    expect(m.odoo.tags).toEqual({ SQL: 'Hot', MQL: 'MQL', Unqualified: 'Unqualified' });
  });

  it('refuses a file of another shape, naming what is wrong', () => {
    expect(() => loadMapping(file({ hubspot: { contacts: {} } }))).toThrow(/hubspot: .*contacts/);
    expect(() => loadMapping(file({ odoo: { lead: { name: 5 } } }))).toThrow(/odoo\.lead\.name/);
  });

  it('takes the values the mapping names and leaves empty and unknown ones out (a CRM value is never blanked)', () => {
    expect(mapped({ a: 'x', b: 'y', c: 'z', d: 'nope' }, { x: 'one', y: null, z: '' })).toEqual({ a: 'one' });
    expect(mapped({ score: 'lead_score' }, { lead_score: 0 })).toEqual({ score: 0 });
  });
});

describe('the lease budget of a sync', () => {
  it('lets a step start while three timeouts of the lease remain, then stops the sync with a retryable error', () => {
    let now = 1_000_000;
    const inTime = leaseBudget('Odoo', 10, 2000, () => now);
    now += 3_999;
    expect(() => inTime()).not.toThrow();
    now += 2;
    let error: unknown;
    try {
      inTime();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({
      retryable: true,
      message: expect.stringContaining('Odoo: the sync ran out of its lease'),
    });
  });
});
