import type { LeadQueries } from '../persistence/lead-queries.js';
import type { LeadFilter } from '../persistence/rows.js';
import type { Classification } from '../scoring/classification.js';
import { type LeadExportRow, type LeadListRow, leadExportRow, leadListRow } from './views.js';

/** Which leads a list or an export is about: every field given must match. */
export type LeadSelection = Pick<
  LeadFilter,
  'state' | 'utmSource' | 'utmMedium' | 'utmCampaign' | 'from' | 'to'
> & {
  classification?: Classification;
};

/** One page of a lead list: the selection, its order and which page. */
export interface LeadPageRequest extends LeadSelection {
  sort: 'score' | 'time';
  order: 'asc' | 'desc';
  /** From 1. */
  page: number;
  pageSize: number;
}

/** The lead lists and exports agents and machine clients read, in the shapes they are sent in. */
export class Leads {
  constructor(private readonly queries: Pick<LeadQueries, 'findLeads' | 'leadPages' | 'reportedMetadata'>) {}

  /** One page of the matching leads, and how many match in all. */
  async page({ sort, order, page, pageSize, ...selection }: LeadPageRequest): Promise<{
    leads: LeadListRow[];
    total: number;
  }> {
    const { rows, total } = await this.queries.findLeads({
      ...selection,
      sort,
      order,
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { leads: rows.map(leadListRow), total };
  }

  /**
   * Every matching lead that is not erased, oldest first, in CRM format with the metadata of the
   * behaviours it reported: read page after page, any number.
   */
  async *export(selection: LeadSelection): AsyncGenerator<LeadExportRow> {
    for await (const page of this.queries.leadPages(selection)) {
      const reported = await this.queries.reportedMetadata(page.map((lead) => lead.id));
      for (const lead of page) yield leadExportRow(lead, reported.get(lead.id) ?? []);
    }
  }
}
