import type { RoutingTrigger, Trigger } from '../conversation/triggers.js';
import type { AmendPlan } from '../conversation/write-path.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LeadRow } from '../persistence/rows.js';
import type { BotPrompt } from '../workflow/prompts.js';
import { backAt, openedAt } from './hours.js';
import type { AgentPresence, AgentPresenceRow, RoundRobin } from './presence.js';
import { capacityOf, isMember, type Routing, type Team, teamFor } from './rules.js';
import type { RoutingStore } from './store.js';

/** The engine as routing uses it: its commits, and server-made changes through its one write path. */
export interface RoutedEngine {
  amend(sessionId: string, plan: AmendPlan): Promise<LeadRow | null>;
  onCommitted(
    listener: (c: { sessionId: string; triggers: readonly Trigger[]; lead: LeadRow }) => void,
  ): () => void;
}

export interface RouterOptions {
  routing: Routing;
  engine: RoutedEngine;
  agents: AgentPresence;
  turns: RoundRobin;
  store: RoutingStore;
  /** The configured channels a routing trigger is announced on (NOTIFICATION_ROUTES). */
  channelsFor: (trigger: RoutingTrigger) => readonly string[];
  /** Every configured channel (a team's escalation names a subset of them). */
  channels: readonly string[];
  /** ROUTING_REASSIGN_AFTER and SLA_FIRST_RESPONSE, in milliseconds. */
  reassignAfterMs: number;
  slaMs: number;
  /** The server's clock (the engine's: tests move it). */
  now: () => number;
  logger: Logger;
}

type Change = NonNullable<Awaited<ReturnType<AmendPlan>>>;
type Who = { agentId: string; name: string };

/**
 * Who owns each lead: a lead that reaches a routing trigger goes to a team by the rules and, inside it,
 * to the next online agent with free capacity (the turn is counted once for every node). An owner who
 * does not act in time is replaced, once per agent, and then the team's escalation is told. Every
 * change is an event of the session's log committed with its outbox rows, version-checked: it happens
 * once, whichever node makes it, and a node that stops half-way leaves it to the next sweep.
 */
export class Router {
  constructor(private readonly o: RouterOptions) {}

  /** Routes a lead when a commit makes it reach a trigger. Returns the unsubscribe. */
  start(): () => void {
    const triggers: readonly Trigger[] = this.o.routing.triggers;
    return this.o.engine.onCommitted((c) => {
      if (c.lead.routedAt || !c.triggers.some((t) => triggers.includes(t))) return;
      this.route(c.sessionId).catch((err: unknown) =>
        this.o.logger.warn({ sessionId: c.sessionId, err }, 'could not route the lead (the sweep will)'),
      );
    });
  }

  /** Gives a lead that reached a trigger to its team and, when one is free, to an agent. */
  route(sessionId: string): Promise<LeadRow | null> {
    return this.o.engine.amend(sessionId, async (lead) => {
      if (lead.routedAt || lead.erasedAt) return null;
      const team = teamFor(this.o.routing, lead);
      const at = new Date(this.o.now());
      // Outside the team's hours the team holds the lead until it opens.
      const back = backAt(team.hours, at.getTime());
      const agent = back ? null : await this.pick(team, []);
      if (!agent) {
        const opens = back ? { opensAt: new Date(back.opensAt).toISOString() } : {};
        return {
          input: { type: 'lead.routed', data: { team: team.name, agentId: null, ...opens } },
          patch: { routedAt: at, assignedTeam: team.name },
        };
      }
      const change = this.assignment(lead, team, agent, at, 'lead.assigned');
      return { ...change, patch: { ...change.patch, routedAt: at } };
    });
  }

  /** The agents online or away on any node, each with their active leads and capacity. */
  async roster(): Promise<(AgentPresenceRow & { active: number; maxActive: number })[]> {
    const present = await this.o.agents.list();
    const active = await this.o.store.activeCounts(present.map((a) => a.agentId));
    return present.map((a) => ({
      agentId: a.agentId,
      name: a.name,
      status: a.status,
      active: active.get(a.agentId) ?? 0,
      maxActive: capacityOf(this.o.routing, a.agentId),
    }));
  }

  /** The next online agent of the team with free capacity, not among `tried`; null when there is none. */
  private async pick(team: Team, tried: readonly string[]): Promise<Who | null> {
    const online = (await this.o.agents.list()).filter(
      (a) => a.status === 'online' && isMember(team, a.agentId) && !tried.includes(a.agentId),
    );
    const active = await this.o.store.activeCounts(online.map((a) => a.agentId));
    const free = online.filter((a) => (active.get(a.agentId) ?? 0) < capacityOf(this.o.routing, a.agentId));
    if (free.length === 0) return null;
    const turn = await this.o.turns.next(team.name);
    const chosen = free[turn % free.length]!;
    return { agentId: chosen.agentId, name: chosen.name };
  }

  private assignment(lead: LeadRow, team: Team, agent: Who, at: Date, type: string, by?: string): Change {
    const tried = lead.routingTried.includes(agent.agentId)
      ? lead.routingTried
      : [...lead.routingTried, agent.agentId];
    const previous = lead.assignedTo ? { from: lead.assignedTo } : {};
    return {
      input: { type, data: { team: team.name, ...agent, ...previous, ...(by ? { by } : {}) } },
      patch: {
        assignedTeam: team.name,
        assignedTo: agent.agentId,
        assignedName: agent.name,
        assignedAt: at,
        routingTried: tried,
        escalatedAt: null,
      },
      // Stored under the seq of its event: unique per lead, so every assignment is announced once.
      notify: this.o
        .channelsFor('assigned')
        .map((channel) => ({ trigger: `assigned:${lead.lastSeq + 1}`, channel })),
    };
  }

  private teamOf(lead: LeadRow): Team {
    return this.o.routing.teams.find((t) => t.name === lead.assignedTeam) ?? teamFor(this.o.routing, lead);
  }

  /**
   * Hands on one waiting lead: to the next agent once the owner let it wait past ROUTING_REASSIGN_AFTER
   * (or, while the team holds it, as soon as one is free), and to the team's escalation once every
   * agent had it or nobody took it in time.
   */
  handOn(sessionId: string): Promise<LeadRow | null> {
    return this.o.engine.amend(sessionId, async (lead) => {
      if (!lead.routedAt || lead.escalatedAt || lead.contactedAt || lead.erasedAt) return null;
      const since = lead.assignedAt ?? lead.routedAt;
      const now = this.o.now();
      const team = this.teamOf(lead);
      // Closed: nobody is handed the lead, nor is it escalated, until the team opens; the wait counts from then.
      const opened = openedAt(team.hours, now);
      if (opened === null) return null;
      const late = now - Math.max(since.getTime(), opened) >= this.o.reassignAfterMs;
      if (lead.assignedTo && !late) return null;
      if (await this.o.store.acted(sessionId, since)) return null;
      const next = await this.pick(team, lead.routingTried);
      const at = new Date(now);
      if (next)
        return this.assignment(lead, team, next, at, lead.assignedTo ? 'lead.reassigned' : 'lead.assigned');
      if (!late) return null;
      const configured = team.escalation.channels?.filter((c) => this.o.channels.includes(c));
      return {
        input: { type: 'lead.escalated', data: { team: team.name, tried: lead.routingTried } },
        patch: { escalatedAt: at, assignedTo: null, assignedName: null, assignedAt: null },
        notify: (configured ?? this.o.channelsFor('escalated')).map((channel) => ({
          trigger: 'escalated',
          channel,
        })),
      };
    });
  }

  /** Records that the lead's first response is overdue, once, with its `sla_breached` notifications. */
  breach(sessionId: string): Promise<LeadRow | null> {
    return this.o.engine.amend(sessionId, async (lead) => {
      if (!lead.routedAt || lead.slaBreachedAt || lead.erasedAt) return null;
      const now = this.o.now();
      // The first response is due within the team's hours: counted from its opening.
      const opened = openedAt(this.teamOf(lead).hours, now);
      if (opened === null || now - Math.max(lead.routedAt.getTime(), opened) < this.o.slaMs) return null;
      if (await this.o.store.acted(sessionId, lead.routedAt)) return null;
      return {
        input: {
          type: 'lead.sla_breached',
          data: { team: lead.assignedTeam, agentId: lead.assignedTo, slaSeconds: this.o.slaMs / 1000 },
        },
        patch: { slaBreachedAt: new Date(now) },
        notify: this.o.channelsFor('sla_breached').map((channel) => ({ trigger: 'sla_breached', channel })),
      };
    });
  }

  /**
   * After hours, the visitor asked to be called back at `at`: stored, announced, and confirmed to the
   * visitor (`confirmation`, a bot message), once per lead.
   */
  callback(
    sessionId: string,
    at: Date,
    data: { team: string; label: string },
    confirmation: BotPrompt,
  ): Promise<LeadRow | null> {
    return this.o.engine.amend(sessionId, async (lead) => {
      if (lead.erasedAt) throw new AppError('session_not_found');
      if (lead.callbackAt) throw new AppError('conflict', 'A callback is already requested.');
      return {
        input: { type: 'lead.callback_requested', data: { ...data, callbackAt: at.toISOString() } },
        patch: { callbackAt: at },
        // The bot's confirmation to the visitor, committed with the request itself.
        said: [confirmation],
        notify: this.o
          .channelsFor('callback_requested')
          .map((channel) => ({ trigger: 'callback_requested', channel })),
      };
    });
  }

  /** An admin gives the lead to an agent (routed or not); the reassignment timer starts again. */
  reassign(sessionId: string, to: { agentId: string; name?: string }, by: string): Promise<LeadRow | null> {
    return this.o.engine.amend(sessionId, async (lead) => {
      if (lead.erasedAt) throw new AppError('session_not_found');
      const online = (await this.o.agents.list()).find((a) => a.agentId === to.agentId);
      const agent = { agentId: to.agentId, name: to.name ?? online?.name ?? to.agentId };
      const at = new Date(this.o.now());
      const change = this.assignment(lead, this.teamOf(lead), agent, at, 'lead.reassigned', by);
      return { ...change, patch: { ...change.patch, routedAt: lead.routedAt ?? at } };
    });
  }

  /**
   * An agent marks the visitor contacted: a response (the timers stop) and a free place in their
   * capacity. Returns when it was marked (the first time, if it already was).
   */
  async contacted(sessionId: string, agent: Who): Promise<Date> {
    let before: Date | null = null;
    const lead = await this.o.engine.amend(sessionId, async (l) => {
      if (l.erasedAt) throw new AppError('session_not_found');
      before = l.contactedAt ?? null;
      if (before) return null;
      return {
        input: { type: 'agent.contacted', data: agent },
        patch: { contactedAt: new Date(this.o.now()) },
      };
    });
    return lead?.contactedAt ?? before ?? new Date(this.o.now());
  }

  /**
   * One round of the clock's work, on every node (the version check lets one of them do each change):
   * routes what a stopped node left unrouted, hands on waiting leads, records SLA breaches.
   */
  async sweep(): Promise<void> {
    const now = this.o.now();
    const recent = new Date(now - Math.max(this.o.reassignAfterMs, 3_600_000));
    // How far back a routed lead is still handed on or checked: long past any chain of timeouts.
    const window = new Date(now - Math.max(7 * 86_400_000, 20 * this.o.reassignAfterMs, 2 * this.o.slaMs));
    const each = async (ids: string[], work: (id: string) => Promise<unknown>) => {
      for (const id of ids)
        await work(id).catch((err: unknown) => this.o.logger.warn({ sessionId: id, err }, 'routing sweep'));
    };
    // A lead that changed in the last seconds is left to the node that committed it (it routes it at once).
    const settled = new Date(now - 10_000);
    await each(await this.o.store.unrouted(this.o.routing.triggers, recent, settled), (id) => this.route(id));
    await each(await this.o.store.waiting(window), (id) => this.handOn(id));
    await each(await this.o.store.overdue(new Date(now - this.o.slaMs), window), (id) => this.breach(id));
  }
}
