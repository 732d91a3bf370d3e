import type { Logger } from '../logger.js';
import type { Channel } from '../notifications/delivery.js';
import type { NotificationMessage } from '../notifications/message.js';
import { HubSpotClient } from './hubspot-client.js';
import type { CrmLinks } from './links.js';
import { type CrmMapping, leadRef, leadValues, mapped, summaryLines } from './mapping.js';
import { CRM_DEFAULT_TRIGGERS, type HubSpotSettings } from './settings.js';

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Pushes a lead to HubSpot: the contact (upserted by e-mail, then patched by its stored id), one note
 * per lead with the score breakdown and the answers, and once the lead is SQL one deal. Every id is
 * stored as soon as HubSpot gives it; a note or deal created by a node that died before storing its
 * id is found again through the contact's associations by the lead's reference, so a lead never gets
 * a second one. One sync of a lead runs at a time (a lease in crm_links).
 */
export class HubSpotChannel implements Channel {
  readonly name = 'hubspot';
  readonly wantsTranscript = true;
  readonly defaultTriggers = CRM_DEFAULT_TRIGGERS;
  private readonly client: HubSpotClient;

  constructor(
    private readonly settings: HubSpotSettings,
    private readonly mapping: CrmMapping['hubspot'],
    private readonly links: CrmLinks,
    private readonly leaseSeconds: number,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.client = new HubSpotClient({ baseUrl: settings.baseUrl, token: settings.token, timeoutMs });
  }

  async send(m: NotificationMessage): Promise<void> {
    const { leaseSeconds, timeoutMs } = this;
    await this.links.underLease(
      m.lead.id,
      'hubspot',
      { service: 'HubSpot', leaseSeconds, timeoutMs },
      (inTime) => this.sync(m, inTime),
    );
  }

  private async sync(m: NotificationMessage, inTime: () => void): Promise<void> {
    const lead = m.lead.id;
    const ids = await this.links.ids(lead, 'hubspot');
    const values = leadValues(m);
    const owner = m.lead.assignedTo ? this.mapping.owners[m.lead.assignedTo] : undefined;
    const ownerProp: Record<string, string> = owner ? { hubspot_owner_id: owner } : {};
    const contact = { ...mapped(this.mapping.contact, values), ...ownerProp };

    let contactId = ids.contact;
    if (contactId && !(await this.client.update('contacts', contactId, contact))) contactId = undefined;
    if (!contactId) {
      const email = values.email;
      if (typeof email !== 'string') {
        // HubSpot contacts are keyed by e-mail: a later trigger (contact_shared) brings it.
        this.logger.info(
          { sessionId: lead, trigger: m.trigger },
          'no e-mail yet: nothing to push to HubSpot',
        );
        return;
      }
      contactId = await this.client.upsertContact(email, contact);
      await this.links.save(lead, 'hubspot', 'contact', contactId);
    }

    inTime();
    const ref = leadRef(lead);
    const body = summaryLines(m)
      .map((line) => (line ? `<p>${escapeHtml(line)}</p>` : '<br>'))
      .join('');
    // The note keeps its place on the timeline: its time is set when it is created.
    await this.record(
      'notes',
      lead,
      ids.note,
      contactId,
      'hs_note_body',
      ref,
      { hs_note_body: body },
      {
        hs_timestamp: new Date().toISOString(),
      },
    );

    if (m.lead.classification === 'SQL' || ids.deal) {
      inTime();
      await this.record(
        'deals',
        lead,
        ids.deal,
        contactId,
        'description',
        ref,
        {
          ...mapped(this.mapping.deal, values),
          ...ownerProp,
          description: `${m.title}\n${m.link}\nReference: ${ref}`,
        },
        // Set when the deal is created only: sales moves it along the pipeline afterwards.
        { pipeline: this.settings.dealPipeline, dealstage: this.settings.dealStage },
      );
    }
  }

  /** Patches the stored note or deal, else the one found by the reference, else creates it (and stores its id). */
  private async record(
    type: 'notes' | 'deals',
    lead: string,
    storedId: string | undefined,
    contactId: string,
    markerProperty: string,
    ref: string,
    properties: Record<string, string | number>,
    onCreate: Record<string, string> = {},
  ): Promise<void> {
    const kind = type === 'notes' ? 'note' : 'deal';
    if (storedId && (await this.client.update(type, storedId, properties))) return;
    const found = await this.client.findAssociated(type, contactId, markerProperty, ref);
    if (found && (await this.client.update(type, found, properties))) {
      await this.links.save(lead, 'hubspot', kind, found);
      return;
    }
    const id = await this.client.create(type, { ...properties, ...onCreate }, contactId);
    await this.links.save(lead, 'hubspot', kind, id);
  }
}
