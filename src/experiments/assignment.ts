import { createHash } from 'node:crypto';
import type { Workflow } from '../workflow/schema.js';

export interface SessionPlan {
  /** Experiment name → variant id. */
  variants: Record<string, string>;
  /** Profile question ids in the order this session asks them. */
  questionOrder: number[];
}

/** A number in [0, 1) that depends only on the session id and the experiment name. */
function stableFraction(sessionId: string, experiment: string): number {
  const digest = createHash('sha256').update(`${sessionId}:${experiment}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Deterministic variant assignment: the same session gets the same variants on every node and after
 * every restart. A `question_flow` variant's `order` replaces the workflow's question order.
 */
export function planSession(workflow: Workflow, sessionId: string, experimentsEnabled: boolean): SessionPlan {
  const plan: SessionPlan = { variants: {}, questionOrder: workflow.questions.map((q) => q.id) };
  if (!experimentsEnabled) return plan;
  for (const experiment of workflow.experiments) {
    if (!experiment.enabled) continue;
    const total = experiment.variants.reduce((sum, v) => sum + v.weight, 0);
    const point = stableFraction(sessionId, experiment.name) * total;
    let cumulative = 0;
    const variant =
      experiment.variants.find((v) => {
        cumulative += v.weight;
        return point < cumulative;
      }) ?? experiment.variants.at(-1)!;
    plan.variants[experiment.name] = variant.id;
    const order = variant.config.order;
    if (experiment.kind === 'question_flow' && isPermutation(order, plan.questionOrder)) {
      plan.questionOrder = [...order];
    }
  }
  return plan;
}

function isPermutation(candidate: unknown, ids: number[]): candidate is number[] {
  return (
    Array.isArray(candidate) && candidate.length === ids.length && ids.every((id) => candidate.includes(id))
  );
}
