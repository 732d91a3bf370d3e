import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defaultWorkflow } from './default.js';
import { type Workflow, workflowSchema } from './schema.js';

export class WorkflowError extends Error {
  override name = 'WorkflowError';
}

/** Validates a workflow object; the error names every bad path. */
export function parseWorkflow(input: unknown, source = 'workflow'): Workflow {
  const result = workflowSchema.safeParse(input);
  if (!result.success) {
    throw new WorkflowError(`${source} is not a valid workflow:\n${z.prettifyError(result.error)}`);
  }
  return deepFreeze(result.data);
}

/** The workflow from `file` (JSON) or the built-in default. */
export function loadWorkflow(file?: string): Workflow {
  if (!file) return parseWorkflow(defaultWorkflow, 'the built-in workflow');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkflowError(`WORKFLOW_FILE ${file} could not be read as JSON: ${(err as Error).message}`);
  }
  return parseWorkflow(raw, `WORKFLOW_FILE ${file}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
