import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Channel } from '../notifications/delivery.js';
import { HubSpotChannel } from './hubspot.js';
import type { CrmLinks } from './links.js';
import { loadMapping } from './mapping.js';
import { OdooChannel } from './odoo.js';

/** The outbox channels that push leads to a CRM. */
export const CRM_CHANNELS: readonly string[] = ['hubspot', 'odoo'];

/** The configured CRM channels (HubSpot, Odoo; each unset = off), with the mapping file read once. */
export function crmChannels(
  config: Pick<Config, 'crm' | 'notifications'>,
  links: CrmLinks,
  logger: Logger,
): Map<string, Channel> {
  const { hubspot, odoo, mappingFile } = config.crm;
  const channels = new Map<string, Channel>();
  if (!hubspot && !odoo) return channels;
  const mapping = loadMapping(mappingFile);
  // A sync holds its lead as long as the outbox claim holds the row: a dead node's lease ends with its claim.
  const { lockSeconds, timeoutMs } = config.notifications;
  if (hubspot)
    channels.set(
      'hubspot',
      new HubSpotChannel(hubspot, mapping.hubspot, links, lockSeconds, timeoutMs, logger),
    );
  if (odoo) channels.set('odoo', new OdooChannel(odoo, mapping.odoo, links, lockSeconds, timeoutMs));
  return channels;
}
