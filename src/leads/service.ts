import type { LeadQueries } from '../persistence/lead-queries.js';
import type { LeadFilter } from '../persistence/rows.js';
import type { Classification } from '../scoring/classification.js';
import { decodeCursor, encodeCursor } from './cursor.js';
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
  /** From 1 (numbered pages skip rows: up to `listBounds.maxOffset` of them). */
  page: number;
  pageSize: number;
  /** Where a keyset page starts: the `next_cursor` of the page before (then `page` is 1). */
  cursor?: string;
}

/** One page of a lead list as agents and machine clients read it. */
export interface LeadListPage {
  leads: LeadListRow[];
  /** How many leads match: exact up to `COUNT_CAP`, an estimate beyond (then `totalIsEstimate`). */
  total: number;
  totalIsEstimate: boolean;
  /** The cursor of the next page; null on the last one. */
  nextCursor: string | null;
}

/** The lead lists and exports agents and machine clients read, in the shapes they are sent in. */
export class Leads {
  constructor(private readonly queries: Pick<LeadQueries, 'findLeads' | 'leadPages' | 'reportedMetadata'>) {}

  /** One page of the matching leads (by cursor or by number), where the next starts, and how many match. */
  async page({ sort, order, page, pageSize, cursor, ...selection }: LeadPageRequest): Promise<LeadListPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, order);
    const { rows, total, totalIsEstimate, next } = await this.queries.findLeads(
      { ...selection, sort, order, limit: pageSize, offset: (page - 1) * pageSize },
      after,
    );
    return {
      leads: rows.map(leadListRow),
      total,
      totalIsEstimate,
      nextCursor: next ? encodeCursor(next) : null,
    };
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
