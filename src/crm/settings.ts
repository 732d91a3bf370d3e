/** The triggers a CRM channel gets when NOTIFICATION_ROUTES does not name it. */
export const CRM_DEFAULT_TRIGGERS: readonly string[] = ['sql', 'contact_shared', 'completed'];

/** How to reach HubSpot (HUBSPOT_*). */
export interface HubSpotSettings {
  token: string;
  baseUrl: string;
  /** The pipeline and stage of the deal an SQL lead gets. */
  dealPipeline: string;
  dealStage: string;
}

/** How to reach Odoo (ODOO_*). */
export interface OdooSettings {
  url: string;
  db: string;
  apiKey: string;
  uid?: number;
  login?: string;
  /**
   * A crm.lead field holding the lead's reference (e.g. a custom `x_lead_ref`); unset = the reference
   * is a line of the description, searched with `ilike`.
   */
  refField?: string;
}

/** The CRM variables as src/config.ts parsed them (it alone reads the environment). */
export interface CrmEnv {
  HUBSPOT_ACCESS_TOKEN?: string | undefined;
  HUBSPOT_BASE_URL: string;
  HUBSPOT_DEAL_PIPELINE: string;
  HUBSPOT_DEAL_STAGE: string;
  ODOO_URL?: string | undefined;
  ODOO_DB?: string | undefined;
  ODOO_LOGIN?: string | undefined;
  ODOO_UID?: number | undefined;
  ODOO_API_KEY?: string | undefined;
  ODOO_REF_FIELD?: string | undefined;
  CRM_MAPPING_FILE?: string | undefined;
}

/** The CRMs leads are pushed to (each unset = off) and the mapping file. */
export interface CrmConfig {
  hubspot?: HubSpotSettings;
  odoo?: OdooSettings;
  mappingFile?: string;
}

/** What is missing for Odoo, as config error lines. */
export function crmIssues(e: CrmEnv): string[] {
  if (!e.ODOO_URL) return [];
  const missing: [string, unknown][] = [
    ['ODOO_DB', e.ODOO_DB],
    ['ODOO_API_KEY', e.ODOO_API_KEY],
    ['ODOO_LOGIN', e.ODOO_LOGIN ?? e.ODOO_UID],
  ];
  return missing
    .filter(([, v]) => v === undefined)
    .map(([name]) => `  ${name}: required with ODOO_URL${name === 'ODOO_LOGIN' ? ' (or ODOO_UID)' : ''}`);
}

const noSlash = (url: string) => url.replace(/\/$/, '');

export function crmConfig(e: CrmEnv): CrmConfig {
  const config: CrmConfig = {};
  if (e.HUBSPOT_ACCESS_TOKEN)
    config.hubspot = {
      token: e.HUBSPOT_ACCESS_TOKEN,
      baseUrl: noSlash(e.HUBSPOT_BASE_URL),
      dealPipeline: e.HUBSPOT_DEAL_PIPELINE,
      dealStage: e.HUBSPOT_DEAL_STAGE,
    };
  if (e.ODOO_URL && e.ODOO_DB && e.ODOO_API_KEY) {
    const odoo: OdooSettings = { url: noSlash(e.ODOO_URL), db: e.ODOO_DB, apiKey: e.ODOO_API_KEY };
    if (e.ODOO_UID !== undefined) odoo.uid = e.ODOO_UID;
    if (e.ODOO_LOGIN) odoo.login = e.ODOO_LOGIN;
    if (e.ODOO_REF_FIELD) odoo.refField = e.ODOO_REF_FIELD;
    config.odoo = odoo;
  }
  if (e.CRM_MAPPING_FILE) config.mappingFile = e.CRM_MAPPING_FILE;
  return config;
}
