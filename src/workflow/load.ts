import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { builtInWorkflow } from './built-in.js';
import { localizeWorkflow, translationErrors, type WarningLog, workflowIn } from './locales.js';
import { type Workflow, workflowSchema } from './schema.js';

export class WorkflowError extends Error {
  override name = 'WorkflowError';
}

/**
 * Validates a workflow object; the error names every bad path, and every missing translation with its
 * locale. A gap in a `partial` locale is only warned about (once per text and locale) on `logger`.
 */
export function parseWorkflow(input: unknown, source = 'workflow', logger?: WarningLog): Workflow {
  const result = workflowSchema.safeParse(input);
  if (!result.success) {
    throw new WorkflowError(`${source} is not a valid workflow:\n${z.prettifyError(result.error)}`);
  }
  const missing = translationErrors(result.data, logger);
  if (missing.length > 0) {
    throw new WorkflowError(`${source} is missing translations:\n${missing.map((m) => `✖ ${m}`).join('\n')}`);
  }
  const workflow = localizeWorkflow(deepFreeze(result.data));
  for (const locale of workflow.locales.available) deepFreeze(workflowIn(workflow, locale));
  return workflow;
}

/** The workflow from `file` (JSON) or the built-in default. */
export function loadWorkflow(file?: string, logger?: WarningLog): Workflow {
  if (!file) return parseWorkflow(builtInWorkflow, 'the built-in workflow', logger);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkflowError(`WORKFLOW_FILE ${file} could not be read as JSON: ${(err as Error).message}`);
  }
  return parseWorkflow(raw, `WORKFLOW_FILE ${file}`, logger);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
