import type { Channel } from '../notifications/delivery.js';
import type { NotificationMessage } from '../notifications/message.js';
import type { CrmLinks } from './links.js';
import { type CrmMapping, leadRef, leadValues, mapped } from './mapping.js';
import { OdooClient } from './odoo-client.js';
import { CRM_DEFAULT_TRIGGERS, type OdooSettings } from './settings.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Pushes a lead to Odoo as one crm.lead: created once, then written by its stored id. Before creating,
 * the lead's reference is searched for (archived leads included), so a node that died between Odoo's
 * answer and storing the id never causes a second record. Tags follow the classification. One sync of
 * a lead runs at a time (a lease in crm_links).
 */
export class OdooChannel implements Channel {
  readonly name = 'odoo';
  readonly wantsTranscript = true;
  readonly defaultTriggers = CRM_DEFAULT_TRIGGERS;
  private readonly client: OdooClient;

  constructor(
    private readonly settings: OdooSettings,
    private readonly mapping: CrmMapping['odoo'],
    private readonly links: CrmLinks,
    private readonly leaseSeconds: number,
    private readonly timeoutMs: number,
  ) {
    this.client = new OdooClient({ ...settings, timeoutMs });
  }

  async send(m: NotificationMessage): Promise<void> {
    const { leaseSeconds, timeoutMs } = this;
    await this.links.underLease(m.lead.id, 'odoo', { service: 'Odoo', leaseSeconds, timeoutMs }, (inTime) =>
      this.sync(m, inTime),
    );
  }

  private async sync(m: NotificationMessage, inTime: () => void): Promise<void> {
    const lead = m.lead.id;
    const ref = leadRef(lead);
    const values: Record<string, unknown> = mapped(this.mapping.lead, leadValues(m));
    const { refField } = this.settings;
    if (refField) values[refField] = ref;
    else values.description = `${values.description ?? ''}\n${ref}`.trim();
    // Odoo (16+) keeps the description as HTML.
    if (typeof values.description === 'string')
      values.description = values.description
        .split('\n')
        .map((l) => `<p>${escapeHtml(l)}</p>`)
        .join('');
    const tags = await this.tagCommands(m.lead.classification);
    if (tags.length > 0) values.tag_ids = tags;

    inTime();
    const stored = (await this.links.ids(lead, 'odoo')).lead;
    if (stored && (await this.client.write('crm.lead', Number(stored), values))) return;
    const found = await this.client.search(
      'crm.lead',
      refField ? [[refField, '=', ref]] : [['description', 'ilike', ref]],
    );
    inTime();
    if (found !== undefined && (await this.client.write('crm.lead', found, values))) {
      await this.links.save(lead, 'odoo', 'lead', String(found));
      return;
    }
    const id = await this.client.create('crm.lead', { type: 'lead', ...values });
    await this.links.save(lead, 'odoo', 'lead', String(id));
  }

  /** Links the classification's tag (created if missing) and unlinks the other classifications' tags. */
  private async tagCommands(classification: string): Promise<[number, number][]> {
    const names = this.mapping.tags;
    const wanted = names[classification];
    if (!wanted) return [];
    const existing = await this.client.execute<{ id: number; name: string }[]>(
      'crm.tag',
      'search_read',
      [[['name', 'in', Object.values(names)]]],
      { fields: ['id', 'name'] },
    );
    const current =
      existing.find((t) => t.name === wanted)?.id ?? (await this.client.create('crm.tag', { name: wanted }));
    return [
      [4, current],
      ...existing.filter((t) => t.name !== wanted).map((t): [number, number] => [3, t.id]),
    ];
  }
}

/** The stored Odoo id of a lead's crm.lead, if it has one. */
export async function odooLeadId(links: CrmLinks, leadId: string): Promise<number | null> {
  const id = (await links.ids(leadId, 'odoo')).lead;
  return id ? Number(id) : null;
}
