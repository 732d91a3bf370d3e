import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125124107_initial } from './Migration20261125124107_initial.js';
import { Migration20261125133614_takeover } from './Migration20261125133614_takeover.js';
import { Migration20261125135213_notifications } from './Migration20261125135213_notifications.js';
import { Migration20261125135833_conversions } from './Migration20261125135833_conversions.js';
import { Migration20261125140232_erasure } from './Migration20261125140232_erasure.js';
import { Migration20261130013000_erased_closed } from './Migration20261130013000_erased_closed.js';
import { Migration20261130015751_reported_variant } from './Migration20261130015751_reported_variant.js';
import { Migration20261130023000_attribution } from './Migration20261130023000_attribution.js';
import { Migration20261130023000_current_page } from './Migration20261130023000_current_page.js';
import { Migration20261130040000_fit_engagement } from './Migration20261130040000_fit_engagement.js';
import { Migration20261130041000_custom_fields } from './Migration20261130041000_custom_fields.js';
import { Migration20261130043000_workflow_versions } from './Migration20261130043000_workflow_versions.js';
import { Migration20261130044000_routing } from './Migration20261130044000_routing.js';
import { Migration20261130050000_callbacks } from './Migration20261130050000_callbacks.js';
import { Migration20261130051000_visitors } from './Migration20261130051000_visitors.js';
import { Migration20261130060000_crm_links } from './Migration20261130060000_crm_links.js';
import { Migration20261130061000_whatsapp } from './Migration20261130061000_whatsapp.js';
import { Migration20261130062000_growth_indexes } from './Migration20261130062000_growth_indexes.js';

/**
 * Every migration, in order. `npm run db:migration:create` writes a new file here; add it to the list
 * in the same commit (the list keeps the compiled and the TypeScript server on the same migrations).
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125124107_initial', class: Migration20261125124107_initial },
  { name: 'Migration20261125133614_takeover', class: Migration20261125133614_takeover },
  { name: 'Migration20261125135213_notifications', class: Migration20261125135213_notifications },
  { name: 'Migration20261125135833_conversions', class: Migration20261125135833_conversions },
  { name: 'Migration20261125140232_erasure', class: Migration20261125140232_erasure },
  { name: 'Migration20261130013000_erased_closed', class: Migration20261130013000_erased_closed },
  { name: 'Migration20261130015751_reported_variant', class: Migration20261130015751_reported_variant },
  { name: 'Migration20261130023000_attribution', class: Migration20261130023000_attribution },
  { name: 'Migration20261130023000_current_page', class: Migration20261130023000_current_page },
  { name: 'Migration20261130040000_fit_engagement', class: Migration20261130040000_fit_engagement },
  { name: 'Migration20261130041000_custom_fields', class: Migration20261130041000_custom_fields },
  { name: 'Migration20261130043000_workflow_versions', class: Migration20261130043000_workflow_versions },
  { name: 'Migration20261130044000_routing', class: Migration20261130044000_routing },
  { name: 'Migration20261130050000_callbacks', class: Migration20261130050000_callbacks },
  { name: 'Migration20261130051000_visitors', class: Migration20261130051000_visitors },
  { name: 'Migration20261130060000_crm_links', class: Migration20261130060000_crm_links },
  { name: 'Migration20261130061000_whatsapp', class: Migration20261130061000_whatsapp },
  { name: 'Migration20261130062000_growth_indexes', class: Migration20261130062000_growth_indexes },
];
