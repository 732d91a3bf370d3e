import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadWorkflow } from '../../src/workflow/load.js';

/**
 * The branched example workflow (examples/branched.json): business type 2 sends a kirana shop on to the
 * monthly sales (5) and "other" straight to the contact form; a wholesaler is not asked the staff size
 * (4); a one-person business jumps from 4 to the features (6); the monthly sales are optional; the
 * features are not asked of a business selling under ₹50K.
 */
export const BRANCHED_FILE = resolve('examples/branched.json');

export const branchedWorkflow = loadWorkflow(BRANCHED_FILE);

/** A fresh, writable copy of the example as JSON, to break in a test. */
// biome-ignore lint/suspicious/noExplicitAny: a test breaks the workflow in ways its type forbids
export function branchedInput(): any {
  return JSON.parse(readFileSync(BRANCHED_FILE, 'utf8'));
}
