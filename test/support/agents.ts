import { expect } from 'vitest';
import { type AgentRole, AgentTokens } from '../../src/agents/tokens.js';
import { type RunningServer, serverFor } from './app.js';
import type { TestDatabase } from './database.js';
import type { StepPayload } from './journey.js';
import { type AgentClient, openAgent } from './sockets.js';

/** What the tests of the /agents namespace (test/integration/agents-*.test.ts) share. */

/** The SECRET_KEY of their servers, which signs the agents' tokens. */
export const SECRET = 'agents-test-secret-0123456789abcdef';

/** For the tests of the file (or describe block) it is called in: `serverFor` with SECRET as its SECRET_KEY. */
export function agentsServer(env: Record<string, string> = {}): RunningServer {
  return serverFor({ SECRET_KEY: SECRET, ...env });
}

/** How long "nothing arrives" is watched for. */
export const QUIET_MS = 500;

/** An agent as a token names them. */
export interface Who {
  id: string;
  name: string;
  role: AgentRole;
}
export const ASHA: Who = { id: 'agent-1', name: 'Asha', role: 'agent' };
export const BALA: Who = { id: 'agent-2', name: 'Bala', role: 'agent' };
export const DEV: Who = { id: 'admin-1', name: 'Dev', role: 'admin' };

/** An agent's connection with a token of `who`, once the namespace has accepted it. */
export async function agent(
  url: string,
  who: Who = ASHA,
  { secret = SECRET, ttl = '1h' }: { secret?: string; ttl?: string | number } = {},
): Promise<AgentClient> {
  const c = openAgent(url, { auth: { token: await new AgentTokens(secret).sign(who, ttl) } });
  await c.connected();
  return c;
}

/** The visitor's answer to the greeting. */
export const GREETING = { optionIds: ['yes'] };
/** Questions 2–6, in the default order (no experiments); each earns 10 with a quick reply. */
export const ANSWERS: StepPayload[] = [
  { optionIds: ['kirana_retail'] },
  { text: 'Pune' },
  { optionIds: ['two_to_five'] },
  { optionIds: ['50k_2l'] },
  { optionIds: ['billing', 'inventory'] },
];

/** The stored lead: its last seq, its score and who holds it. */
export async function leadRow(db: TestDatabase, id: string) {
  const [row] = await db.query<{ last_seq: number; score: number; taken_over_by: string | null }>(
    'select last_seq, score, taken_over_by from leads where id = $1',
    [id],
  );
  expect(row, `lead ${id}`).toBeDefined();
  return row!;
}

/** The session's stored events after `sinceSeq`, in seq order. */
export async function storedLog(db: TestDatabase, id: string, sinceSeq = 0) {
  return db.query<{ seq: number; type: string }>(
    'select seq, type from session_events where lead_id = $1 and seq > $2 order by seq',
    [id, sinceSeq],
  );
}

export const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);

/** The whole numbers from `from` to `to`, both included. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
