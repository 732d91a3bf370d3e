import { fileURLToPath } from 'node:url';
import { loadWorkflow } from '../../src/workflow/load.js';
import type { Workflow, WorkflowInput } from '../../src/workflow/schema.js';

/**
 * The seed's own scoring rules: the built-in workflow without answer values (examples/seed-rules.json).
 * The tests that check exact scores of the earlier service's behaviours (80 / SQL for the seed example,
 * the points of each behaviour) run on it, so that the built-in workflow's answer values do not move
 * them; the tests of answer values run the built-in workflow (`loadWorkflow()`) and say so.
 */
export const SEED_RULES_FILE = fileURLToPath(new URL('../../examples/seed-rules.json', import.meta.url));

/** The seed-rules workflow, parsed and frozen (one copy for every test of a process). */
export const seedRules: Workflow = loadWorkflow(SEED_RULES_FILE);

/** The seed-rules workflow as input, to spread and change in a test (a fresh copy each call). */
export function seedRulesInput(): WorkflowInput {
  return structuredClone(seedRules) as WorkflowInput;
}
