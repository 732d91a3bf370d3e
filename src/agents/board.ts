import { type BoardRow, boardRow } from '../leads/views.js';
import type { LeadQueries } from '../persistence/lead-queries.js';
import type { LeadFilter } from '../persistence/rows.js';
import type { SessionRegistry } from '../scaling/registry.js';

export interface BoardFilter {
  classification?: string;
  state?: string;
  connected?: boolean;
  limit?: number;
}

/** How far back "recent" sessions reach on the board. */
const RECENT_MS = 24 * 60 * 60 * 1000;

/**
 * The live lead board: live sessions of every node (from the registry) and the day's recent ones
 * (from the database), highest score first.
 */
export class LeadBoard {
  constructor(
    private readonly leads: Pick<LeadQueries, 'findLeads'>,
    private readonly registry: SessionRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** The board; with `agentId`, that agent's own leads (routing made them the owner) come first. */
  async list(filter: BoardFilter = {}, agentId?: string): Promise<BoardRow[]> {
    const live = new Map((await this.registry.list()).map((s) => [s.sessionId, s]));
    const limit = Math.min(filter.limit ?? 200, 1000);
    const connectedIds = [...live.values()].filter((s) => s.connected).map((s) => s.sessionId);
    const query: LeadFilter =
      filter.connected === true
        ? // Only connected sessions: ask for exactly those, so the limit is filled with matches.
          { ids: connectedIds, sort: 'score', limit }
        : {
            activeSince: new Date(this.now() - RECENT_MS),
            ids: [...live.keys()].filter((id) => id.startsWith('sess_')),
            sort: 'score',
            // Disconnected ones are picked out below, so read enough to fill the limit.
            limit: filter.connected === false ? 1000 : limit,
          };
    if (filter.connected === true && connectedIds.length === 0) return [];
    if (filter.classification) query.classification = filter.classification;
    if (filter.state) query.state = filter.state;
    const { rows } = await this.leads.findLeads(query, undefined, false);
    return rows
      .map((lead) => boardRow(lead, live.get(lead.id)?.connected ?? false))
      .filter((row) => filter.connected === undefined || row.connected === filter.connected)
      .sort((x, y) => Number(y.assignedTo === agentId) - Number(x.assignedTo === agentId))
      .slice(0, limit);
  }

  /** One session's board row (null when there is no such lead). */
  async row(sessionId: string): Promise<BoardRow | null> {
    const { rows } = await this.leads.findLeads({ ids: [sessionId], limit: 1 }, undefined, false);
    return rows[0] ? boardRow(rows[0], await this.connected(sessionId)) : null;
  }

  /** Whether a session has a connection on any live node. */
  connected(sessionId: string): Promise<boolean> {
    return this.registry.isConnected(sessionId);
  }
}
