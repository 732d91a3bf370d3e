import type { ConversationEvent } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { AgentAct, AgentRef } from './types.js';

/** What an agent's act does to a session: the machine events, the log entry, and who holds it after. */
export interface AgentActPlan {
  machineEvents: ConversationEvent[];
  input: { type: string; data: Record<string, unknown> };
  takenOverBy: string | null;
}

/**
 * The rules of agents' acts. One agent holds a session at a time; only the holder writes to the
 * visitor or releases it (an admin may release anyone's); while held the bot is paused. An ended
 * conversation takes agents' messages, but its machine moves no more.
 */
export function planAgentAct(
  holder: string | null,
  agent: AgentRef,
  act: AgentAct,
  finished: boolean,
  at: number,
): AgentActPlan {
  if (act.kind === 'takeover' && holder !== null && holder !== agent.id) {
    throw new AppError('conflict', 'Another agent holds this session.', { takenOverBy: holder });
  }
  if (act.kind !== 'takeover' && holder !== agent.id && !(act.kind === 'release' && agent.role === 'admin')) {
    throw new AppError('forbidden', 'Take the session over first.', { takenOverBy: holder });
  }
  const machineEvents: ConversationEvent[] =
    finished || act.kind === 'message'
      ? []
      : act.kind === 'takeover'
        ? [{ type: 'agent.takeover', at, agentId: agent.id }]
        : [{ type: 'agent.release', at }];
  const type =
    act.kind === 'takeover' ? 'agent.joined' : act.kind === 'release' ? 'agent.left' : 'agent.message';
  const data = { agentId: agent.id, name: agent.name, ...(act.kind === 'message' ? { text: act.text } : {}) };
  const takenOverBy = act.kind === 'takeover' ? agent.id : act.kind === 'release' ? null : holder;
  return { machineEvents, input: { type, data }, takenOverBy };
}
