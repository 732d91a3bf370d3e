import { withTranslations } from './catalog.js';
import { defaultWorkflow } from './default.js';
import type { WorkflowInput } from './schema.js';
import { hindi } from './translations/hi.js';
import { tamil } from './translations/ta.js';

/**
 * The built-in workflow as the server runs it when no `WORKFLOW_FILE` is set: the English workflow of
 * ./default.ts, also in Hindi and Tamil (./translations/). A text added to the English workflow without
 * its translations stops the server at start-up, naming the text and the language.
 */
export const builtInWorkflow: WorkflowInput = withTranslations(defaultWorkflow, { hi: hindi, ta: tamil });
